# 8x8 misbehaves in every way: Okta still gets an honest answer in time.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

our $Huge = '{"sessionId":"big","sessionStatus":"CREATED","pad":"' . ('x' x (1024 * 1024)) . '"}';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: connection refused
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 200
--- response_body eval
::okta_action('FAILED', undef, '8x8 voice unreachable (HTTP 502 from nginx)')
--- error_log eval
["connect() failed", qr/outcome=FAILED 8x8_status=502 txn=- latency=\d+ms detail=unreachable/]



=== TEST 2: an upstream block with no live server
--- http_config
    upstream eightbyeight_voice { server 127.0.0.1:$TEST_NGINX_RAND_PORT_1 down; }
    upstream eightbyeight_sms { server 127.0.0.1:$TEST_NGINX_RAND_PORT_1 down; }
--- config eval: $::Loc
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('FAILED', undef, '8x8 sms unreachable (HTTP 502 from nginx)')
--- error_log
no live upstreams



=== TEST 3: 8x8 answers 500 with its error JSON
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(500, '{"sessionStatus":"NOT_CREATED","statusCode":-1,"statusMessage":"Internal error"}')
--- response_body eval
::okta_action('FAILED', undef, '8x8 voice HTTP 500 -1: Internal error')



=== TEST 4: 8x8 answers 200 with HTML
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(200, '<html><body>Maintenance</body></html>', 'text/html')
--- response_body eval
::okta_action('FAILED', undef, '8x8 voice HTTP 200: reply is not 8x8 JSON')
--- error_log eval
qr/outcome=FAILED 8x8_status=200 txn=- latency=\d+ms detail=not-8x8-json/



=== TEST 5: 8x8 answers 200 with an empty body
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(200, '')
--- response_body eval
::okta_action('FAILED', undef, '8x8 sms HTTP 200: reply is not 8x8 JSON')



=== TEST 6: 8x8 closes the connection in the middle of the reply
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"sessionId\":\"03cc8cac\",\"sessionSta"
--- response_body eval
::okta_action('FAILED', undef, '8x8 voice HTTP 200: reply is not 8x8 JSON')
--- error_log
upstream prematurely closed connection



=== TEST 7: 8x8 closes the connection before any reply
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply:
--- response_body eval
::okta_action('FAILED', undef, '8x8 voice unreachable (HTTP 502 from nginx)')



=== TEST 8: 8x8 never answers: FAILED when okta_telephony_timeout runs out, whatever proxy_read_timeout says
--- http_config eval: $::Upstreams
--- config eval
my $l = ::hook_location(directives => ['okta_telephony_timeout 500ms']);
$l =~ s/proxy_http_version 1.1;/proxy_http_version 1.1;\n        proxy_read_timeout 60s;/g; $l
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply_delay: 4s
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- timeout: 3
--- response_body eval
::okta_action('FAILED', undef, '8x8 voice did not answer within 500 ms')
--- error_log eval
qr/outcome=FAILED 8x8_status=0 txn=- latency=(4\d\d|5\d\d|6\d\d)ms detail=timeout/



=== TEST 9: okta_telephony_timeout_status PENDING
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_timeout 300ms', 'okta_telephony_timeout_status PENDING'])
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply_delay: 3s
--- tcp_reply eval
::eight_reply(200, $::SmsQueued)
--- timeout: 3
--- response_body eval
::okta_action('PENDING', undef, '8x8 sms did not answer within 300 ms')



=== TEST 10: a 1 MiB reply: FAILED, Okta's connection intact
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(200, $::Huge)
--- response_body eval
::okta_action('FAILED', undef, '8x8 voice HTTP 200: reply larger than okta_telephony_reply_buffer_size')
--- error_log eval
qr/outcome=FAILED 8x8_status=200 txn=- latency=\d+ms detail=reply-too-large/



=== TEST 11: the same reply fits a larger okta_telephony_reply_buffer_size
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_reply_buffer_size 1100k'])
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(200, $::Huge)
--- response_body eval
::okta_action('SUCCESSFUL', 'big')



=== TEST 12: Okta goes away while 8x8 is still working: no alert, the worker lives
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply_delay: 1s
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 1.5
--- no_error_log
[alert]
[crit]
signal 11



=== TEST 13: async mode answers PENDING at once and logs 8x8's outcome later
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_mode async'])
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply_delay: 500ms
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- response_body eval
::okta_action('PENDING', undef, 'delivery started; outcome not confirmed')
--- wait: 1
--- error_log eval
[qr/outcome=async-accepted/, qr/outcome=async-delivered 8x8_status=200 txn=03cc8cac-376b-11ef-a28b-0582ff0039d5/]



=== TEST 14: async mode with SUCCESSFUL (the reference service's answer); 8x8 refuses later
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_mode async', 'okta_telephony_async_status SUCCESSFUL'])
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(200, $::SmsRejected)
--- response_body eval
::okta_action('SUCCESSFUL', undef, 'delivery started; outcome not confirmed')
--- wait: 0.5
--- error_log eval
qr/outcome=async-failed 8x8_status=200 txn=cda3d56d-1424-e711-813c-06ed3428fe67 latency=\d+ms detail=REJECTED/



=== TEST 15: async mode: 8x8 never answers, the request is abandoned at the timeout
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_mode async', 'okta_telephony_timeout 300ms'])
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply_delay: 2s
--- tcp_reply eval
::eight_reply(200, $::SmsQueued)
--- response_body eval
::okta_action('PENDING', undef, 'delivery started; outcome not confirmed')
--- wait: 0.8
--- error_log
outcome=async-timeout



=== TEST 16: a 1 MiB reply with proxy_buffering off: FAILED, nothing written to disk
--- http_config eval: $::Upstreams
--- config eval
$::Loc =~ s/proxy_http_version 1.1;/proxy_http_version 1.1;\n        proxy_buffering off;/gr
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(200, $::Huge)
--- response_body eval
::okta_action('FAILED', undef, '8x8 voice HTTP 200: reply larger than okta_telephony_reply_buffer_size')
--- no_error_log
buffered to a temporary file



=== TEST 17: a reply without Content-Length, read until 8x8 closes, in several pieces
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
["HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"pad\":\"" . ('p' x 3000),
 ('q' x 3000) . "\",\"sessionId\":\"no-length-1\",",
 "\"sessionStatus\":\"CREATED\",\"statusCode\":1}"]
--- response_body eval
::okta_action('SUCCESSFUL', 'no-length-1')
