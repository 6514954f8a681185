# okta_telephony_health: 200 or 503 with a small JSON body from the
# breaker gauges and the last 8x8 reply of each channel in the metrics
# zone in scope; no call placed. The directive's errors at nginx -t.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

our $StandIn = $::StandInPort;

# The zone at http level, and an 8x8 stand-in that accepts, refuses a
# call (-1017, a 422: not the instance's fault) and fails an SMS (500).
our $Http = <<"_EOC_";
    okta_telephony_zone okta 1m;
    okta_telephony_metrics_zone okta;
    server {
        listen 127.0.0.1:$StandIn;
        default_type application/json;
        location /ok/voice {
            return 200 '{"sessionId":"standin-voice-1","sessionStatus":"CREATED","statusCode":1,"statusMessage":"Created"}';
        }
        location /ok/sms {
            return 200 '{"umid":"standin-sms-1","status":{"code":"QUEUED","description":"queued"}}';
        }
        location /refused/voice {
            return 422 '{"sessionStatus":"NOT_CREATED","statusCode":-1017,"statusMessage":"Invalid destination"}';
        }
        location /broken/sms {
            return 500 '{"code":-1,"message":"internal error"}';
        }
    }
_EOC_

# A hook location whose voice and SMS go to /_8x8/voice-$to and
# /_8x8/sms-$to, with more directives.
sub hook {
    my ($uri, $to, @more) = @_;
    my $d = join '', map { "        $_;\n" } @more;
    return <<"_EOC_";
    location = $uri {
        okta_telephony;
        okta_telephony_secret "$::Secret";
        okta_telephony_voice_location /_8x8/voice-$to;
        okta_telephony_sms_location /_8x8/sms-$to;
        okta_telephony_caller_id +6512341234;
$d    }
_EOC_
}

sub internal {
    my ($name, $url) = @_;
    return "    location = /_8x8/$name { internal; proxy_pass $url; "
         . "proxy_http_version 1.1; proxy_set_header Connection \"\"; }\n";
}

sub config {
    my ($health) = @_;
    my $s = "http://127.0.0.1:$StandIn";
    my $slow = 'http://127.0.0.1:$TEST_NGINX_RAND_PORT_1';
    return hook('/hook', 'ok')
         . hook('/hook-refused', 'refused')
         . hook('/hook-broken', 'broken',
                'okta_telephony_breaker zone=okta failures=1 open=1m')
         . hook('/hook-slow', 'slow', 'okta_telephony_timeout 300ms')
         . internal('voice-ok', "$s/ok/voice") . internal('sms-ok', "$s/ok/sms")
         . internal('voice-refused', "$s/refused/voice")
         . internal('sms-refused', "$s/refused/voice")
         . internal('voice-broken', "$s/ok/voice")
         . internal('sms-broken', "$s/broken/sms")
         . internal('voice-slow', "$slow/callflows")
         . internal('sms-slow', "$slow/messages")
         . "    location = /health { " . ($health // 'okta_telephony_health;')
         . " allow 127.0.0.1; deny all; }\n";
}

our $None = '{"status":"up",'
    . '"sms":{"state":"up","breaker":"closed","last_8x8":"none"},'
    . '"voice":{"state":"up","breaker":"closed","last_8x8":"none"}}';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: nothing sent yet: up, no reply known
--- http_config eval: $::Http
--- config eval: ::config()
--- request
GET /health
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body eval: $::None
--- no_error_log
[error]



=== TEST 2: 8x8 accepted a call and an SMS: up, both ok
--- http_config eval: $::Http
--- config eval: ::config()
--- request eval
[::hook_request($::VoiceHook), ::hook_request($::SmsHook), "GET /health"]
--- more_headers eval
"Authorization: $::Secret"
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/SUCCESSFUL/, qr/SUCCESSFUL/,
 qr/^\{"status":"up","sms":\{"state":"up","breaker":"closed","last_8x8":"ok","last_8x8_age":[01]\},"voice":\{"state":"up","breaker":"closed","last_8x8":"ok","last_8x8_age":[01]\}\}$/]



=== TEST 3: 8x8 refused one number (a 422): not the instance's fault, still up
--- http_config eval: $::Http
--- config eval: ::config()
--- request eval
["POST /hook-refused\n$::VoiceHook", "GET /health"]
--- more_headers eval
"Authorization: $::Secret"
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/FAILED/, qr/^\{"status":"up",.*"voice":\{"state":"up","breaker":"closed","last_8x8":"ok",/]



=== TEST 4: 8x8 failed an SMS (a 500) and the breaker opened: 503, sms down, voice up
--- http_config eval: $::Http
--- config eval: ::config()
--- request eval
["POST /hook-broken\n$::SmsHook", "GET /health", "HEAD /health"]
--- more_headers eval
"Authorization: $::Secret"
--- error_code eval
[200, 503, 503]
--- response_body_like eval
[qr/FAILED/, qr/^\{"status":"down","sms":\{"state":"down","breaker":"open","last_8x8":"failed","last_8x8_age":[01]\},"voice":\{"state":"up","breaker":"closed","last_8x8":"none"\}\}$/, qr/^$/]



=== TEST 5: 8x8 never answered a call: 503, voice down
--- http_config eval: $::Http
--- config eval: ::config()
--- request eval
["POST /hook-slow\n$::VoiceHook", "GET /health"]
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply_delay: 2s
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- timeout: 4
--- error_code eval
[200, 503]
--- response_body_like eval
[qr/FAILED/, qr/"voice":\{"state":"down","breaker":"closed","last_8x8":"failed",/]



=== TEST 6: a failure older than the window: up again, the failure still shown
--- http_config eval: $::Http
--- config eval: ::config('okta_telephony_health window=1s;')
--- request eval
["POST /hook-broken\n$::SmsHook", "GET /health"]
--- more_headers eval
"Authorization: $::Secret"
--- wait: 2.5
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/FAILED/, qr/^\{"status":"up","sms":\{"state":"up","breaker":"open","last_8x8":"failed","last_8x8_age":[23]\},/]



=== TEST 7: a success after a failure: up
--- http_config eval: $::Http
--- config eval: ::config()
--- request eval
["POST /hook-slow\n$::VoiceHook", "POST /hook\n$::VoiceHook", "GET /health"]
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply_delay: 2s
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- timeout: 4
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/FAILED/, qr/SUCCESSFUL/, qr/^\{"status":"up",.*"voice":\{"state":"up","breaker":"closed","last_8x8":"ok",/]



=== TEST 8: only GET and HEAD
--- http_config eval: $::Http
--- config eval: ::config()
--- request eval
["POST /health\nx", "DELETE /health"]
--- error_code eval
[405, 405]
--- response_headers eval
["Allow: GET, HEAD", "Allow: GET, HEAD"]



=== TEST 9: a location's own metrics zone is the one read
--- http_config eval
$::Http . "    okta_telephony_zone other 1m;\n"
--- config eval
::config('okta_telephony_metrics_zone other; okta_telephony_health;')
--- request eval
["POST /hook-broken\n$::SmsHook", "GET /health"]
--- more_headers eval
"Authorization: $::Secret"
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/FAILED/, qr/^\Q$::None\E$/]



=== TEST 10: no metrics zone in scope
--- http_config eval: $::Upstreams
--- config
    location = /health { okta_telephony_health; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_health" in \S+:\d+ needs an "okta_telephony_metrics_zone" in scope/



=== TEST 11: a bad window
--- http_config
    okta_telephony_zone okta 1m;
    okta_telephony_metrics_zone okta;
--- config
    location = /health { okta_telephony_health window=0s; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid window "0s": a time from 1s to 1d/



=== TEST 12: an unknown parameter
--- http_config
    okta_telephony_zone okta 1m;
    okta_telephony_metrics_zone okta;
--- config
    location = /health { okta_telephony_health 60s; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "60s": expected window=TIME/



=== TEST 13: not in the hook's own location
--- http_config
    okta_telephony_zone okta 1m;
    okta_telephony_metrics_zone okta;
--- config eval
::hook('/hook', 'ok', 'okta_telephony_health')
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_health" directive cannot share a location with "okta_telephony"/



=== TEST 14: a location directive
--- http_config
    okta_telephony_zone okta 1m;
    okta_telephony_health;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_health" directive is not allowed here/



=== TEST 15: twice in a location
--- http_config
    okta_telephony_zone okta 1m;
    okta_telephony_metrics_zone okta;
--- config
    location = /health { okta_telephony_health; okta_telephony_health; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_health" directive is duplicate/
