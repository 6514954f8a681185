# okta_telephony_8x8_events: 8x8's SMS delivery receipts and voice
# session summaries, authenticated by the Authorization value registered
# with 8x8, logged with the masked number, counted once in
# okta_telephony_deliveries_total (retries included, over 2 workers),
# refused with fixed JSON; the directives' errors.
use Test::Nginx::Socket 'no_plan';
use File::Temp qw(tempdir tempfile);

BEGIN { require "./t/lib-okta.pl"; }

our $Auth  = 'Bearer ev-s3cr3t-0123456789abcdef';
our $Auth2 = 'Basic ZXZlbnRzOm5leHQtczNjcjN0LTAxMjM0NTY3ODk=';
my $dir = tempdir(CLEANUP => 1);
sub put { my ($n, $s) = @_; open my $f, '>', "$dir/$n" or die; print $f $s; close $f; chmod(0600, "$dir/$n"); "$dir/$n" }
$ENV{TEST_NGINX_EV_SECRET} = put('events', "# 8x8 webhooks, rotated 2026-11\n$Auth\n  $Auth2 \r\n");
$ENV{TEST_NGINX_EV_EMPTY}  = put('empty', "# nothing\n\n");
$ENV{TEST_NGINX_EV_MISSING} = "$dir/does-not-exist";
mkdir "$dir/a-directory" or die;
$ENV{TEST_NGINX_EV_DIR} = "$dir/a-directory";

our $SmsDelivered   = ::slurp('8x8-event-sms-delivered.json');
our $SmsUndelivered = ::slurp('8x8-event-sms-undelivered.json');
our $VoiceCompleted = ::slurp('8x8-event-voice-completed.json');
our $VoiceError     = ::slurp('8x8-event-voice-error.json');
(our $SmsSent = $SmsDelivered) =~ s/"state": "delivered"/"state": "sent"/ or die;

our $Http = <<'_EOC_';
    okta_telephony_zone okta 1m;
    okta_telephony_metrics_zone okta;
_EOC_

our $Events = <<'_EOC_';
    location = /8x8/events {
        okta_telephony_8x8_events;
        okta_telephony_8x8_events_secret_file $TEST_NGINX_EV_SECRET;
    }
    location = /metrics {
        okta_telephony_metrics okta;
    }
_EOC_

# the non-zero deliveries series, sorted
sub deliveries {
    my ($body) = @_;
    my @l = grep { /^okta_telephony_deliveries_total\{/ && !/ 0$/ }
            split /\n/, $body;
    return join '', map { "$_\n" } sort @l;
}

sub series { return join '', map { "$_\n" } sort @_ }

# Prometheus's own parser over the whole text, when installed (Debian's
# "prometheus" package, which ./build.sh installs for t/017)
our ($Promtool) = grep { -x } map({ "$_/promtool" } split(/:/, $ENV{PATH} // '')),
                                  '/usr/bin/promtool';
sub promtool {
    my ($body) = @_;
    return "promtool: not installed\n" unless $Promtool;
    my ($fh, $file) = tempfile(UNLINK => 1);
    print $fh $body;
    close $fh;
    my $out = `'$Promtool' check metrics < '$file' 2>&1`;
    return ($? == 0 && $out eq '') ? "promtool: ok\n" : "promtool: $out\n";
}
sub promtool_ok { return $Promtool ? "promtool: ok\n" : "promtool: not installed\n" }
sub checked { return promtool($_[0]) . deliveries($_[0]) }
sub req { return "POST /8x8/events\n$_[0]" }

our $Ack = '{"status":"received"}';
our $Ignored = '{"status":"ignored"}';
sub err { return qq{{"error":{"errorSummary":"$_[0]"}}} }

# nothing 8x8 sent but the checked ids may reach the log
our @Private = ('+12025550143', '12025550143', '+14155550171', $Auth, $Auth2,
                'ev-s3cr3t', 'Absent subscriber', 'ExampleCo_OTP');

no_shuffle();
master_on();
workers(2);
log_level('info');
run_tests();

__DATA__

=== TEST 1: an SMS delivery receipt: 200 at once, one line with the masked number, counted
--- http_config eval: $::Http
--- config eval: $::Events
--- request eval
[::req($::SmsDelivered), "GET /metrics"]
--- more_headers eval
["Authorization: $::Auth", ""]
--- error_code eval
[200, 200]
--- response_headers eval
["Content-Type: application/json", ""]
--- response_body_filters eval
[[], [\&::deliveries]]
--- response_body eval
[$::Ack, ::series('okta_telephony_deliveries_total{channel="sms",state="delivered"} 1')]
--- grep_error_log eval: qr/okta telephony: 8x8 event .*/
--- grep_error_log_out eval
qr/^(?:okta telephony: 8x8 event channel=sms state=delivered event=cD3871kJThSsU8qlA1LTyy 8x8_id=5f2b7c1e-93aa-4d0e-8c61-0b7e2f4d9a10 to=\+12\*{7}43 error=- detail=delivered_to_recipient counted=yes, client: 127\.0\.0\.1, server: \S+, request: "POST \/8x8\/events HTTP\/1\.1", host: "[^"]+"\n)?$/
--- no_error_log eval
[@::Private]



=== TEST 2: voice session summaries (payload first, "CallA" and "callA"): completed, expired; an undelivered SMS with 8x8's error code; promtool reads the text
--- http_config eval: $::Http
--- config eval: $::Events
--- request eval
[::req($::VoiceCompleted), ::req($::VoiceError), ::req($::SmsUndelivered),
 "GET /metrics"]
--- more_headers eval
[("Authorization: $::Auth") x 3, ""]
--- response_body_filters eval
[[], [], [], [\&::checked]]
--- response_body eval
[$::Ack, $::Ack, $::Ack, ::promtool_ok() . ::series(
 'okta_telephony_deliveries_total{channel="voice",state="delivered"} 1',
 'okta_telephony_deliveries_total{channel="voice",state="expired"} 1',
 'okta_telephony_deliveries_total{channel="sms",state="undelivered"} 1')]
--- grep_error_log eval: qr/8x8 event channel=\S+ state=\S+ event=\S+ 8x8_id=\S+ to=\S+ error=\S+ detail=\S+ counted=[a-z-]+/
--- grep_error_log_out eval
qr/^(?:\Q8x8 event channel=voice state=completed event=uS5871kJThSsU8qlA1LTcg 8x8_id=3c7e9a12-0b4d-11ef-9a61-2f8d0c4b7e15 to=+12*******43 error=- detail=- counted=yes\E
  |\Q8x8 event channel=voice state=error event=- 8x8_id=7d1f0e34-0b4e-11ef-8c22-4b9a7e6d1f03 to=+14*******71 error=-2007 detail=- counted=yes\E
  |\Q8x8 event channel=sms state=undelivered event=gH5871kJThSsU8qlA1LTpp 8x8_id=8a41d0c2-6e5f-4b3a-a2d7-3c9e1f0b5d22 to=+14*******71 error=16 detail=rejected_by_operator counted=yes\E
  )\n$|^$/x
--- no_error_log eval
[@::Private]



=== TEST 3: 8x8's retries count once (2 workers, a new connection each); another state of the same message is its own event; "sent" is not counted
--- http_config eval: $::Http
--- config eval: $::Events
--- request eval
[::req($::SmsDelivered), ::req($::SmsDelivered), ::req($::SmsDelivered),
 ::req($::SmsSent), ::req($::SmsSent), ::req($::VoiceCompleted),
 ::req($::VoiceCompleted), ::req($::SmsDelivered), "GET /metrics"]
--- more_headers eval
[("Authorization: $::Auth") x 8, ""]
--- response_body_filters eval
[([]) x 8, [\&::deliveries]]
--- response_body eval
[($::Ack) x 8, ::series(
 'okta_telephony_deliveries_total{channel="sms",state="delivered"} 1',
 'okta_telephony_deliveries_total{channel="voice",state="delivered"} 1')]
--- grep_error_log eval: qr/ state=\S+ .* counted=[a-z-]+/
--- grep_error_log_out eval
qr/^ state=(?:delivered|completed) .* counted=(?:yes|repeat)\n$|^ state=sent .* counted=-\n$|^$/



=== TEST 4: the Authorization value: missing, wrong, cut short, in another header, the second of a rotation (a trailing space is nginx's to trim)
--- http_config eval: $::Http
--- config eval: $::Events
--- request eval
[(::req($::SmsDelivered)) x 6, "GET /metrics"]
--- more_headers eval
["", "Authorization: Bearer wrong-0123456789abcdef",
 "Authorization: " . substr($::Auth, 0, -1), "Authorization: $::Auth ",
 "X-Authorization: $::Auth", "Authorization: $::Auth2", ""]
--- error_code eval
[401, 401, 401, 200, 401, 200, 200]
--- response_body_filters eval
[([]) x 6, [\&::deliveries]]
--- response_body eval
[(::err('authentication required')) x 3, $::Ack,
 ::err('authentication required'), $::Ack,
 ::series('okta_telephony_deliveries_total{channel="sms",state="delivered"} 1')]
--- grep_error_log eval: qr/8x8 event refused: [^,]*/
--- grep_error_log_out eval
qr/^(?:8x8 event refused: authentication required\n)?$/
--- no_error_log eval
[@::Private]



=== TEST 5: POST only: 405 JSON with Allow (once authenticated)
--- http_config eval: $::Http
--- config eval: $::Events
--- request eval
["GET /8x8/events", "PUT /8x8/events\n{}", "DELETE /8x8/events", "GET /8x8/events"]
--- more_headers eval
[("Authorization: $::Auth") x 3, ""]
--- error_code eval
[405, 405, 405, 401]
--- response_headers eval
["Allow: POST\nContent-Type: application/json", "Allow: POST", "Allow: POST", "!Allow"]
--- response_body eval
[(::err('only POST is allowed')) x 3, ::err('authentication required')]



=== TEST 6: not JSON, not 8x8's shape, not an outcome: 400 with fixed text (or 200 ignored), counted nowhere
--- http_config eval: $::Http
--- config eval: $::Events
--- request eval
[::req('not json <script>x</script>'), ::req('[]'),
 ::req('{"namespace":"SMS","eventType":"outbound_message_status_changed","payload":{"status":{"state":"delivered"}}}'),
 ::req('{"namespace":"SMS","eventType":"outbound_message_status_changed","payload":{"umid":"u-1","status":{"state":"de<livered"}}}'),
 ::req('{"namespace":"SMS","eventType":"outbound_message_status_changed","payload":"x"}'),
 ::req('{"namespace":"SMS","eventType":"inbound_message_received","payload":{"umid":"u-2","body":"STOP"}}'),
 ::req('{"eventType":"SESSION_SUMMARY"}'),
 ::req(''),
 "GET /metrics"]
--- more_headers eval
[("Authorization: $::Auth") x 8, ""]
--- error_code eval
[400, 400, 400, 400, 400, 200, 400, 400, 200]
--- response_body_filters eval
[([]) x 8, [\&::deliveries]]
--- response_body eval
[::err('body is not valid JSON'), ::err('body is not a JSON object'),
 ::err('payload.umid is missing or not an 8x8 id'),
 ::err('payload.status.state is missing or not a state'),
 ::err('body has a non-object where an object is expected'),
 $::Ignored, ::err('namespace or eventType is missing'),
 ::err('body is not valid JSON'), '']
--- no_error_log eval
['<script>', 'STOP', 'de<livered', 'u-2']



=== TEST 7: a body over okta_telephony_max_body_size: 413, not read; one kept in a file (small client_body_buffer_size) is read
--- http_config eval: $::Http
--- config eval
my $c = $::Events;
$c =~ s/okta_telephony_8x8_events;/okta_telephony_8x8_events;\n        okta_telephony_max_body_size 2k;\n        client_body_buffer_size 1k;/;
$c
--- request eval
my $pad = ',"x":"' . ('p' x 1000) . '"}';
(my $big = $::SmsDelivered) =~ s/\}\s*$/$pad/;
(my $bigger = $big) =~ s/"x":"/"x":"${\('q' x 1000)}/;
[::req($bigger), ::req($big), "GET /metrics"]
--- more_headers eval
[("Authorization: $::Auth") x 2, ""]
--- error_code eval
[413, 200, 200]
--- response_body_filters eval
[[], [], [\&::deliveries]]
--- response_body eval
[::err('request body is too large'), $::Ack,
 ::series('okta_telephony_deliveries_total{channel="sms",state="delivered"} 1')]



=== TEST 8: hostile bytes (controls, bidi, huge strings, deep nesting, bad UTF-8) never reach the log or the reply
--- http_config eval: $::Http
--- config eval
my $c = $::Events;
$c =~ s/okta_telephony_8x8_events;/okta_telephony_8x8_events;\n        okta_telephony_max_body_size 512k;/;
$c
--- request eval
my $h = '{"namespace":"SMS","eventType":"outbound_message_status_changed","payload":';
[::req($h . '{"umid":"EVIL\u0001umid","status":{"state":"delivered"}}}'),
 ::req($h . '{"umid":"u-3","clientMessageId":"EVIL\u202eid","destination":"+1202EVIL","status":{"state":"delivered","detail":"EVIL detail\n","errorCode":"EVIL"}}}'),
 ::req($h . '{"umid":"u-4","status":{"state":"' . ('EVILSTATE' x 20000) . '"}}}'),
 ::req($h . '{"umid":"u-5","deep":' . ('[' x 5000) . (']' x 5000) . ',"status":{"state":"delivered"}}}'),
 ::req($h . "{\"umid\":\"u-6\xff\xfeEVIL\",\"status\":{\"state\":\"delivered\"}}}"),
 ::req($h . '{"umid":"u-7","status":{"state":"\u0000EVIL"}}}'),
 ::req($h . '{"umid":"\u00e9EVIL","status":{"state":"delivered"}}}'),
 "GET /metrics"]
--- more_headers eval
[("Authorization: $::Auth") x 7, ""]
--- error_code eval
[400, 200, 400, 400, 400, 400, 400, 200]
--- response_body_filters eval
[([]) x 7, [\&::deliveries]]
--- response_body eval
[::err('payload.umid is missing or not an 8x8 id'), $::Ack,
 ::err('payload.status.state is missing or not a state'),
 ::err('body is nested too deeply'), ::err('body is not valid UTF-8'),
 ::err('payload.status.state is missing or not a state'),
 ::err('payload.umid is missing or not an 8x8 id'),
 ::series('okta_telephony_deliveries_total{channel="sms",state="delivered"} 1')]
--- response_body_unlike eval
[(qr/EVIL/) x 7, qr/EVIL/]
--- grep_error_log eval: qr/8x8 event channel=sms .*counted=\w+/
--- grep_error_log_out eval
qr/^(?:\Q8x8 event channel=sms state=delivered event=- 8x8_id=u-3 to=- error=- detail=- counted=yes\E\n)?$/
--- no_error_log eval
['EVIL', '\u202e', "\xe2\x80\xae"]



=== TEST 9: without a metrics zone in scope: logged, answered, not counted (and not deduplicated)
--- http_config
    okta_telephony_zone okta 1m;
--- config eval: $::Events
--- request eval
[::req($::SmsDelivered), ::req($::SmsDelivered), "GET /metrics"]
--- more_headers eval
["Authorization: $::Auth", "Authorization: $::Auth", ""]
--- response_body_filters eval
[[], [], [\&::deliveries]]
--- response_body eval
[$::Ack, $::Ack, '']
--- grep_error_log eval: qr/counted=\w+/
--- grep_error_log_out eval
qr/^(?:counted=no\n)?$/



=== TEST 10: okta_telephony_8x8_events without a secret file fails nginx -t
--- config
    location = /8x8/events { okta_telephony_8x8_events; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_8x8_events" in \S+:\d+ has no "okta_telephony_8x8_events_secret_file"/



=== TEST 11: a secret file that does not exist
--- config
    location = /8x8/events {
        okta_telephony_8x8_events;
        okta_telephony_8x8_events_secret_file $TEST_NGINX_EV_MISSING;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*open\(\) ".*does-not-exist" failed/



=== TEST 12: a secret file that cannot be read (a directory)
--- config
    location = /8x8/events {
        okta_telephony_8x8_events;
        okta_telephony_8x8_events_secret_file $TEST_NGINX_EV_DIR;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*".*a-directory" failed/



=== TEST 13: a secret file without a value
--- config
    location = /8x8/events {
        okta_telephony_8x8_events;
        okta_telephony_8x8_events_secret_file $TEST_NGINX_EV_EMPTY;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_8x8_events_secret_file" ".*empty" contains no Authorization value/



=== TEST 14: okta_telephony_8x8_events in the wrong context
--- http_config
    okta_telephony_8x8_events;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_8x8_events" directive is not allowed here/



=== TEST 15: okta_telephony_8x8_events in a server block
--- config
    okta_telephony_8x8_events;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_8x8_events" directive is not allowed here/



=== TEST 16: sharing a location with the hook or another content handler
--- config
    location = /8x8/events {
        okta_telephony_8x8_events_secret_file $TEST_NGINX_EV_SECRET;
        proxy_pass http://127.0.0.1:1;
        okta_telephony_8x8_events;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_8x8_events" directive cannot share a location with "okta_telephony" or another content handler/



=== TEST 17: after "okta_telephony" in the same location
--- config
    location = /8x8/events {
        okta_telephony_8x8_events;
        okta_telephony_8x8_events_secret_file $TEST_NGINX_EV_SECRET;
        okta_telephony;
        okta_telephony_secret "s3cr3t-0123456789abcdef";
        okta_telephony_sms_location /_8x8/sms;
    }
    location = /_8x8/sms { internal; return 200; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_8x8_events" in \S+:\d+ cannot share a location with "okta_telephony"/



=== TEST 18: the secret file twice; inherited from the server level
--- config
    okta_telephony_8x8_events_secret_file $TEST_NGINX_EV_SECRET;
    okta_telephony_8x8_events_secret_file $TEST_NGINX_EV_SECRET;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_8x8_events_secret_file" directive is duplicate/



=== TEST 19: the secret file at server level is inherited by the endpoint; the repeat is found with either value
--- http_config eval: $::Http
--- config
    okta_telephony_8x8_events_secret_file $TEST_NGINX_EV_SECRET;
    location = /8x8/events { okta_telephony_8x8_events; }
    location = /metrics { okta_telephony_metrics okta; }
--- request eval
[::req($::VoiceCompleted), ::req($::VoiceCompleted), "GET /metrics"]
--- more_headers eval
["Authorization: $::Auth2", "Authorization: $::Auth", ""]
--- response_body_filters eval
[[], [], [\&::deliveries]]
--- response_body eval
[$::Ack, $::Ack,
 ::series('okta_telephony_deliveries_total{channel="voice",state="delivered"} 1')]
--- grep_error_log eval: qr/counted=\w+/
--- grep_error_log_out eval
qr/^(?:counted=(?:yes|repeat)\n)?$/
