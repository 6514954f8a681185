# okta_telephony_metrics_zone and okta_telephony_metrics: exact counts
# after a known mix of hooks over 2 workers (master on), the output checked
# by Prometheus's own parser (promtool check metrics), the JSON form with
# the same numbers, the methods, the directives' errors.
use Test::Nginx::Socket 'no_plan';
use File::Temp qw(tempfile);
use JSON::PP;

BEGIN { require "./t/lib-okta.pl"; }

# promtool: Debian's "prometheus" package, which ./build.sh installs
our ($Promtool) = grep { -x } map({ "$_/promtool" } split(/:/, $ENV{PATH} // '')),
                                  '/usr/bin/promtool';
diag('promtool not found (Debian package "prometheus"; ./build.sh installs '
     . 'it): the exposition format is not checked') unless $Promtool;

our $StandIn = $::StandInPort;
our $Fail1017 = ::slurp('8x8-voice-error-1017.json');
$Fail1017 =~ s/\s+/ /g;

# The zone, counting on at http level, and the 8x8 stand-in: accepts
# (the real paths), refuses a call (-1017) and answers an SMS with an
# HTML 500.
sub http {
    my ($more) = @_;
    return <<"_EOC_" . ($more // '');
    okta_telephony_zone okta 1m;
    okta_telephony_metrics_zone okta;
    server {
        listen 127.0.0.1:$StandIn;
        default_type application/json;
        location /api/v1/subaccounts/acme/callflows {
            return 200 '{"sessionId":"standin-voice-1","sessionStatus":"CREATED","statusCode":1,"statusMessage":"Created"}';
        }
        location /api/v1/subaccounts/acme/messages {
            return 200 '{"umid":"standin-sms-1","status":{"code":"QUEUED","description":"queued"}}';
        }
        location /refused/voice {
            return 422 '$Fail1017';
        }
        location /broken/sms {
            default_type text/html;
            return 500 '<html>oops</html>';
        }
    }
_EOC_
}

# A hook location URI whose voice and SMS go to /_8x8/voice$to and
# /_8x8/sms$to, with more directives.
sub hook {
    my ($uri, $to, @more) = @_;
    my $d = join '', map { "        $_;\n" } @more;
    return <<"_EOC_";
    location = $uri {
        okta_telephony;
        okta_telephony_secret "$::Secret";
        okta_telephony_voice_location /_8x8/voice$to;
        okta_telephony_sms_location /_8x8/sms$to;
        okta_telephony_caller_id +6512341234;
$d    }
_EOC_
}

sub internal {
    my ($name, $url) = @_;
    return "    location = /_8x8/$name { internal; proxy_pass $url; "
         . "proxy_http_version 1.1; proxy_set_header Connection \"\"; }\n";
}

our $Metrics = <<'_EOC_';
    location = /metrics {
        okta_telephony_metrics okta;
        allow 127.0.0.1;
        deny all;
    }
_EOC_

# Every hook location of the mix, and /metrics.
sub mix_config {
    my $ok = "http://127.0.0.1:$StandIn/api/v1/subaccounts/acme";
    my $down = 'http://127.0.0.1:$TEST_NGINX_RAND_PORT_4';
    my $slow = 'http://127.0.0.1:$TEST_NGINX_RAND_PORT_1';
    return hook('/hook', '')
         . hook('/hook-refused', '-refused')
         . hook('/hook-down', '-down',
                'okta_telephony_breaker zone=okta failures=1 open=1m')
         . hook('/hook-limit', '',
                'okta_telephony_limit zone=okta key=number rate=1/1h')
         . hook('/hook-slow', '-slow', 'okta_telephony_timeout 400ms')
         . hook('/hook-header', '', 'okta_telephony_auth_header X-Okta-Secret')
         . internal('voice', "$ok/callflows") . internal('sms', "$ok/messages")
         . internal('voice-refused', "http://127.0.0.1:$StandIn/refused/voice")
         . internal('sms-refused', "http://127.0.0.1:$StandIn/broken/sms")
         . internal('voice-down', "$down/callflows")
         . internal('sms-down', "$down/messages")
         . internal('voice-slow', "$slow/callflows")
         . internal('sms-slow', "$slow/messages")
         . $Metrics;
}

# --- the filters: the body checked by promtool, then its non-zero series
# sorted ("name{labels} value"); bucket lines only at 0.2 s, 3 s and +Inf
# (the fast replies' own buckets depend on the machine's load) and sums
# cut to 0.1 s.

sub promtool_status {
    my ($body) = @_;
    return "promtool: not installed\n" unless $Promtool;
    return "promtool: not run\n" unless defined $body;
    my ($fh, $file) = tempfile(UNLINK => 1);
    print $fh $body;
    close $fh;
    my $out = `'$Promtool' check metrics < '$file' 2>&1`;
    my $rc = $? >> 8;
    return ($rc == 0 && $out eq '') ? "promtool: ok\n"
                                    : "promtool: exit $rc: $out\n";
}

sub promtool_ok { return $Promtool ? "promtool: ok\n" : "promtool: not installed\n" }

sub keep {
    my ($name, $v) = @_;
    return 0 if show_value($name, $v) == 0;
    return 0 if $name =~ /_bucket\{/ && $name !~ /le="(?:0\.2|3|\+Inf)"/;
    return 1;
}

sub show_value {
    my ($name, $v) = @_;
    return $name =~ /_sum\{/ ? sprintf('%.1f', int($v * 10) / 10) : $v;
}

sub text_series {
    my ($body) = @_;
    my @out;
    for my $line (split /\n/, $body) {
        next if $line =~ /^#/;
        my ($name, $v) = $line =~ /^(\S+) (\S+)$/
            or return "bad line: $line\n";
        push @out, "$name " . show_value($name, $v) if keep($name, $v);
    }
    return join '', map { "$_\n" } sort @out;
}

sub json_series {
    my ($body) = @_;
    my $doc = eval { JSON::PP->new->decode($body) } or return "bad JSON: $@\n";
    my @out;
    my $labels = sub {
        my ($o, $extra) = @_;
        my @l = map { qq{$_="$o->{$_}"} }
                grep { !/^(?:value|buckets|sum|count)$/ } sort keys %$o;
        push @l, $extra if $extra;
        return @l ? '{' . join(',', @l) . '}' : '';
    };
    for my $family (keys %$doc) {
        for my $o (@{ $doc->{$family} }) {
            my @s;
            if (exists $o->{value}) {
                @s = (["$family" . $labels->($o), $o->{value}]);
            } else {
                @s = (map({ [$family . '_bucket' . $labels->($o, qq{le="$_"}),
                             $o->{buckets}{$_}] } keys %{ $o->{buckets} }),
                      [$family . '_sum' . $labels->($o), $o->{sum}],
                      [$family . '_count' . $labels->($o), $o->{count}]);
            }
            for (@s) {
                push @out, "$_->[0] " . show_value(@$_) if keep(@$_);
            }
        }
    }
    return join '', map { "$_\n" } sort @out;
}

sub metrics_text { return promtool_status($_[0]) . text_series($_[0]) }
sub metrics_json { return json_series($_[0]) }

# The expected non-zero series, sorted as the filters sort them.
sub series { return join '', map { "$_\n" } sort @_ }

our $Ok = "Authorization: $::Secret";
our $VoiceOk = ::okta_action('SUCCESSFUL', 'standin-voice-1');
our $SmsOk = ::okta_action('SUCCESSFUL', 'standin-sms-1');

# TEST 2's mix
our @Two = (
  'okta_telephony_hooks_total{channel="voice",outcome="SUCCESSFUL"} 2',
  'okta_telephony_hooks_total{channel="voice",outcome="blocked"} 1',
  'okta_telephony_hooks_total{channel="sms",outcome="FAILED"} 1',
  'okta_telephony_blocked_total{rule="limit_number"} 1',
  'okta_telephony_auth_failures_total{reason="missing"} 1',
  'okta_telephony_8x8_responses_total{channel="voice",code="2xx",status="accepted"} 2',
  'okta_telephony_8x8_responses_total{channel="sms",code="5xx",status="not_8x8_json"} 1',
  'okta_telephony_8x8_duration_seconds_bucket{channel="voice",le="0.2"} 2',
  'okta_telephony_8x8_duration_seconds_bucket{channel="voice",le="3"} 2',
  'okta_telephony_8x8_duration_seconds_bucket{channel="voice",le="+Inf"} 2',
  'okta_telephony_8x8_duration_seconds_count{channel="voice"} 2',
  'okta_telephony_8x8_duration_seconds_bucket{channel="sms",le="0.2"} 1',
  'okta_telephony_8x8_duration_seconds_bucket{channel="sms",le="3"} 1',
  'okta_telephony_8x8_duration_seconds_bucket{channel="sms",le="+Inf"} 1',
  'okta_telephony_8x8_duration_seconds_count{channel="sms"} 1',
  'okta_telephony_zone_entries{zone="okta"} 1');

sub req { my ($uri, $body) = @_; return "POST $uri\n$body" }
sub exact { return qr/^\Q$_[0]\E$/s }
sub failed { return qr/^\{"commands":.*"status":"FAILED"/s }

no_shuffle();
master_on();
workers(2);
log_level('notice');
run_tests();

__DATA__

=== TEST 1: a known mix over 2 workers, one connection per request: exact counts, promtool-valid text
--- http_config eval: ::http()
--- config eval: ::mix_config()
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply_delay: 3s
--- tcp_reply eval: ::eight_reply(200, $::VoiceCreated)
--- request eval
[::req('/hook', $::VoiceHook), ::req('/hook', $::VoiceHook),
 ::req('/hook', $::SmsHook),
 ::req('/hook-refused', $::VoiceHook), ::req('/hook-refused', $::SmsHook),
 ::req('/hook-down', $::VoiceHook), ::req('/hook-down', $::VoiceHook),
 ::req('/hook-limit', $::VoiceHook), ::req('/hook-limit', $::VoiceHook),
 ::req('/hook-slow', $::VoiceHook),
 ::req('/hook', $::PreviewHook), ::req('/hook', 'not json'),
 ::req('/hook', ::with_field($::VoiceHook, 'phoneNumber', '"abc"')),
 ::req('/hook', $::VoiceHook), ::req('/hook', $::VoiceHook),
 ::req('/hook-header', $::VoiceHook), "GET /hook", "GET /metrics"]
--- more_headers eval
[($::Ok) x 13, "Authorization: wrong-secret-0123456789", "",
 "X-Okta-Secret: $::Secret\nX-Okta-Secret: $::Secret", $::Ok, ""]
--- error_code eval
[(200) x 11, 400, 200, 401, 401, 401, 405, 200]
--- response_body_filters eval
[([]) x 17, [\&::metrics_text]]
--- response_body_like eval
[::exact($::VoiceOk), ::exact($::VoiceOk), ::exact($::SmsOk),
 ::failed(), ::failed(), ::failed(),
 ::exact(::okta_action('FAILED', undef, 'blocked: 8x8 voice breaker open')),
 ::exact($::VoiceOk),
 ::exact(::okta_action('FAILED', undef, 'blocked: limit number 1/1h')),
 ::failed(), qr/"transactionId":"preview"/, qr/"errorSummary"/,
 qr/"errorCauses"/, (qr/authentication required/) x 3,
 qr/only POST is allowed/,
 ::exact(::promtool_ok() . ::series(
  'okta_telephony_hooks_total{channel="voice",outcome="SUCCESSFUL"} 3',
  'okta_telephony_hooks_total{channel="voice",outcome="FAILED"} 3',
  'okta_telephony_hooks_total{channel="voice",outcome="blocked"} 2',
  'okta_telephony_hooks_total{channel="sms",outcome="SUCCESSFUL"} 1',
  'okta_telephony_hooks_total{channel="sms",outcome="FAILED"} 1',
  'okta_telephony_hooks_total{channel="other",outcome="preview"} 1',
  'okta_telephony_hooks_total{channel="other",outcome="bad-request"} 1',
  'okta_telephony_hooks_total{channel="other",outcome="invalid"} 1',
  'okta_telephony_hooks_total{channel="other",outcome="method-not-allowed"} 1',
  'okta_telephony_blocked_total{rule="breaker"} 1',
  'okta_telephony_blocked_total{rule="limit_number"} 1',
  'okta_telephony_auth_failures_total{reason="missing"} 1',
  'okta_telephony_auth_failures_total{reason="repeated"} 1',
  'okta_telephony_auth_failures_total{reason="wrong_secret"} 1',
  'okta_telephony_8x8_responses_total{channel="voice",code="2xx",status="accepted"} 3',
  'okta_telephony_8x8_responses_total{channel="voice",code="4xx",status="refused"} 1',
  'okta_telephony_8x8_responses_total{channel="voice",code="none",status="unreachable"} 1',
  'okta_telephony_8x8_responses_total{channel="voice",code="none",status="timeout"} 1',
  'okta_telephony_8x8_responses_total{channel="sms",code="2xx",status="accepted"} 1',
  'okta_telephony_8x8_responses_total{channel="sms",code="5xx",status="not_8x8_json"} 1',
  'okta_telephony_8x8_duration_seconds_bucket{channel="voice",le="0.2"} 5',
  'okta_telephony_8x8_duration_seconds_bucket{channel="voice",le="3"} 6',
  'okta_telephony_8x8_duration_seconds_bucket{channel="voice",le="+Inf"} 6',
  'okta_telephony_8x8_duration_seconds_sum{channel="voice"} 0.4',
  'okta_telephony_8x8_duration_seconds_count{channel="voice"} 6',
  'okta_telephony_8x8_duration_seconds_bucket{channel="sms",le="0.2"} 2',
  'okta_telephony_8x8_duration_seconds_bucket{channel="sms",le="3"} 2',
  'okta_telephony_8x8_duration_seconds_bucket{channel="sms",le="+Inf"} 2',
  'okta_telephony_8x8_duration_seconds_count{channel="sms"} 2',
  'okta_telephony_breaker_open{channel="voice"} 1',
  'okta_telephony_zone_entries{zone="okta"} 1'))]
--- no_error_log eval
["[crit]", "[alert]", @::Private]



=== TEST 2: ?format=json has the same numbers; the series of the fixed sets are there at zero
--- http_config eval: ::http()
--- config eval: ::mix_config()
--- request eval
[::req('/hook', $::VoiceHook), ::req('/hook-refused', $::SmsHook),
 ::req('/hook-limit', $::VoiceHook), ::req('/hook-limit', $::VoiceHook),
 ::req('/hook', $::VoiceHook), "GET /metrics", "GET /metrics?format=json",
 "GET /metrics"]
--- more_headers eval
[($::Ok) x 4, "", "", "", ""]
--- error_code eval
[200, 200, 200, 200, 401, 200, 200, 200]
--- response_body_filters eval
[([]) x 5, [\&::metrics_text], [\&::metrics_json], []]
--- response_body_like eval
[::exact($::VoiceOk), ::failed(), ::exact($::VoiceOk),
 ::exact(::okta_action('FAILED', undef, 'blocked: limit number 1/1h')),
 qr/authentication required/,
 ::exact(::promtool_ok() . ::series(@::Two)), ::exact(::series(@::Two)),
 qr/^okta_telephony_deliveries_total\{channel="voice",state="delivered"\}\ 0\n
   .*^okta_telephony_deliveries_total\{channel="sms",state="unknown"\}\ 0\n
   .*^okta_telephony_zone_evictions_total\{zone="okta"\}\ 0\n/msx]



=== TEST 3: Content-Type of the text and of the JSON; not cached
--- http_config eval: ::http()
--- config eval: ::mix_config()
--- request eval
["GET /metrics", "GET /metrics?format=json", "HEAD /metrics"]
--- response_headers eval
["Content-Type: text/plain; version=0.0.4\nCache-Control: no-store",
 "Content-Type: application/json\nCache-Control: no-store",
 "Content-Type: text/plain; version=0.0.4"]
--- response_body_like eval
[qr/^# HELP okta_telephony_hooks_total /, qr/^\{"okta_telephony_hooks_total":\[/, qr/^$/]



=== TEST 4: only GET and HEAD: 405 with Allow
--- http_config eval: ::http()
--- config eval: ::mix_config()
--- request eval
["POST /metrics\nx", "PUT /metrics\nx", "DELETE /metrics"]
--- error_code eval
[405, 405, 405]
--- response_headers eval
["Allow: GET, HEAD", "Allow: GET, HEAD", "Allow: GET, HEAD"]
--- response_body eval
["only GET and HEAD are allowed\n", "only GET and HEAD are allowed\n",
 "only GET and HEAD are allowed\n"]



=== TEST 5: okta_telephony_metrics_zone off in a location: its hooks are not counted; the http level zone is inherited
--- http_config eval
::http("    okta_telephony_zone other 1m;\n")
--- config eval
::hook('/hook', '', 'okta_telephony_metrics_zone off')
. ::hook('/hook-other', '', 'okta_telephony_metrics_zone other')
. ::hook('/hook-counted', '')
. ::internal('voice', "http://127.0.0.1:$::StandIn/api/v1/subaccounts/acme/callflows")
. ::internal('sms', "http://127.0.0.1:$::StandIn/api/v1/subaccounts/acme/messages")
. $::Metrics
. "    location = /metrics-other { okta_telephony_metrics other; }\n"
--- request eval
[::req('/hook', $::VoiceHook), ::req('/hook-other', $::VoiceHook),
 ::req('/hook-counted', $::SmsHook), "GET /metrics", "GET /metrics-other"]
--- more_headers eval
[($::Ok) x 3, "", ""]
--- response_body_filters eval
[[], [], [], [\&::text_series], [\&::text_series]]
--- response_body_like eval
[::exact($::VoiceOk), ::exact($::VoiceOk), ::exact($::SmsOk),
 ::exact(::series(
  'okta_telephony_hooks_total{channel="sms",outcome="SUCCESSFUL"} 1',
  'okta_telephony_8x8_responses_total{channel="sms",code="2xx",status="accepted"} 1',
  'okta_telephony_8x8_duration_seconds_bucket{channel="sms",le="0.2"} 1',
  'okta_telephony_8x8_duration_seconds_bucket{channel="sms",le="3"} 1',
  'okta_telephony_8x8_duration_seconds_bucket{channel="sms",le="+Inf"} 1',
  'okta_telephony_8x8_duration_seconds_count{channel="sms"} 1')),
 ::exact(::series(
  'okta_telephony_hooks_total{channel="voice",outcome="SUCCESSFUL"} 1',
  'okta_telephony_8x8_responses_total{channel="voice",code="2xx",status="accepted"} 1',
  'okta_telephony_8x8_duration_seconds_bucket{channel="voice",le="0.2"} 1',
  'okta_telephony_8x8_duration_seconds_bucket{channel="voice",le="3"} 1',
  'okta_telephony_8x8_duration_seconds_bucket{channel="voice",le="+Inf"} 1',
  'okta_telephony_8x8_duration_seconds_count{channel="voice"} 1'))]



=== TEST 6: a zone no okta_telephony_zone defines
--- http_config
    okta_telephony_metrics_zone nowhere;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_metrics_zone" in \S+:\d+ names zone "nowhere", which no "okta_telephony_zone" defines/



=== TEST 7: okta_telephony_metrics names an undefined zone
--- http_config
    okta_telephony_zone okta 1m;
--- config
    location = /metrics { okta_telephony_metrics nowhere; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_metrics" in \S+:\d+ names zone "nowhere"/



=== TEST 8: okta_telephony_metrics_zone twice at one level
--- http_config
    okta_telephony_zone okta 1m;
    okta_telephony_metrics_zone okta;
    okta_telephony_metrics_zone off;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_metrics_zone" directive is duplicate/



=== TEST 9: okta_telephony_metrics in the hook's location
--- http_config
    okta_telephony_zone okta 1m;
--- config eval
::hook('/hook', '', 'okta_telephony_metrics okta')
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_metrics" directive cannot share a location with "okta_telephony"/



=== TEST 10: okta_telephony_metrics is a location directive
--- http_config
    okta_telephony_zone okta 1m;
    okta_telephony_metrics okta;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_metrics" directive is not allowed here/
