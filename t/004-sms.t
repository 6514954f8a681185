# SMS: the message 8x8 receives, byte for byte, and Okta's answer for each
# kind of 8x8 reply.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

our $SmsBody = '{"destination":"+14155550123","text":"Your Example Corp code is 731455",'
  . '"clientMessageId":"cD3871kJThSsU8qlA1LTyy","clientIp":"203.0.113.7",'
  . '"expiry":"' . $::Expires . '"}';

our $SmsBodySource = '{"destination":"+14155550123","text":"Your Example Corp code is 731455",'
  . '"source":"ExampleCo","clientMessageId":"cD3871kJThSsU8qlA1LTyy","clientIp":"203.0.113.7",'
  . '"expiry":"' . $::Expires . '"}';

our $NoTemplate = ::without_field($::SmsHook, 'msgTemplate');
our $SmsBodyFallback = '{"destination":"+14155550123","text":"Code: 731455",'
  . '"clientMessageId":"cD3871kJThSsU8qlA1LTyy","clientIp":"203.0.113.7",'
  . '"expiry":"' . $::Expires . '"}';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: an SMS hook becomes an 8x8 SMS; QUEUED is SUCCESSFUL
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret\nCookie: session=okta"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('sms', $::SmsBody))
--- tcp_query_len eval
length(::eight_request('sms', $::SmsBody))
--- tcp_reply eval
::eight_reply(200, $::SmsQueued)
--- response_body eval
::okta_action('SUCCESSFUL', 'bda3d56d-1424-e711-813c-06ed3428fe67')
--- error_log eval
qr/\[notice\] .*okta telephony: event=cD3871kJThSsU8qlA1LTyy type=password-reset channel=sms to=\+14\*{7}23 outcome=SUCCESSFUL 8x8_status=200 txn=bda3d56d-1424-e711-813c-06ed3428fe67/
--- no_error_log eval
[@::Private, '[error]', 'Your Example Corp code']



=== TEST 2: the configured sender is sent as source
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_sms_sender ExampleCo'])
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('sms', $::SmsBodySource))
--- tcp_query_len eval
length(::eight_request('sms', $::SmsBodySource))
--- tcp_reply eval
::eight_reply(200, $::SmsQueued)
--- response_body eval
::okta_action('SUCCESSFUL', 'bda3d56d-1424-e711-813c-06ed3428fe67')



=== TEST 3: without Okta's msgTemplate the configured template is used
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_sms_template "Code: {code}"'])
--- request eval
::hook_request($::NoTemplate)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('sms', $::SmsBodyFallback))
--- tcp_query_len eval
length(::eight_request('sms', $::SmsBodyFallback))
--- tcp_reply eval
::eight_reply(200, $::SmsQueued)
--- response_body eval
::okta_action('SUCCESSFUL', 'bda3d56d-1424-e711-813c-06ed3428fe67')



=== TEST 4: REJECTED with HTTP 200 is FAILED
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(200, $::SmsRejected)
--- response_body eval
::okta_action('FAILED', 'cda3d56d-1424-e711-813c-06ed3428fe67', '8x8 sms HTTP 200 REJECTED: Destination country is not enabled for this subaccount')
--- error_log eval
qr/outcome=FAILED 8x8_status=200 txn=cda3d56d-1424-e711-813c-06ed3428fe67 latency=\d+ms detail=REJECTED/



=== TEST 5: 8x8 refuses the number (400, 1002): FAILED with 8x8's code and message
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(400, $::Sms1002)
--- response_body eval
::okta_action('FAILED', undef, '8x8 sms HTTP 400 1002: Invalid MSISDN format (not E.164 international number)')



=== TEST 6: an SMS hook is never answered with a call
--- http_config eval: $::Upstreams
--- config eval
my $l = $::Loc; $l =~ s/\s*okta_telephony_sms_location[^;]*;//; $l
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('FAILED', undef, 'SMS delivery is not configured')
--- no_error_log
connect() failed



=== TEST 7: the Admin Console preview is answered without sending anything
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::PreviewHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('SUCCESSFUL', 'preview', 'Preview request: not sent to 8x8')
--- error_log eval
qr/okta telephony: event=gH5871kJThSsU8qlA1LTpp .*outcome=preview/
--- no_error_log
connect() failed



=== TEST 8: previews are delivered when asked for (preview number given with +)
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_deliver_previews on'])
--- request eval
::hook_request(::with_field($::PreviewHook, 'phoneNumber', '"+6598765432"'))
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('sms', '{"destination":"+6598765432","text":"(HOOK)Your code is 11111","clientMessageId":"gH5871kJThSsU8qlA1LTpp","clientIp":"203.0.113.7","expiry":"' . $::Expires . '"}'))
--- tcp_query_len eval
length(::eight_request('sms', '{"destination":"+6598765432","text":"(HOOK)Your code is 11111","clientMessageId":"gH5871kJThSsU8qlA1LTpp","clientIp":"203.0.113.7","expiry":"' . $::Expires . '"}'))
--- tcp_reply eval
::eight_reply(200, $::SmsQueued)
--- response_body eval
::okta_action('SUCCESSFUL', 'bda3d56d-1424-e711-813c-06ed3428fe67')
