# Bad requests: clear JSON errors, nothing sent to 8x8 (the 8x8 upstream
# has no listener: a request reaching it would log "connect() failed").
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

our $Deep = ('{"a":' x 100) . '1' . ('}' x 100);
our $Big = '{"eventId":"x","pad":"' . ('a' x 9000) . '"}';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: not JSON
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request
POST /hook
hello
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":{"errorSummary":"body is not valid JSON"}}
--- error_log
outcome=bad-request
--- no_error_log
connect() failed



=== TEST 2: truncated JSON
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(substr($::VoiceHook, 0, 300))
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body chomp
{"error":{"errorSummary":"body is not valid JSON"}}
--- no_error_log
connect() failed



=== TEST 3: an array, not an object
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request("[$::VoiceHook]")
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body_like: \{"error":\{"errorSummary":"[^"]*object[^"]*"\}\}
--- no_error_log
connect() failed



=== TEST 4: invalid UTF-8 in a string
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'locale', "\"en\xff\xfe\""))
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body chomp
{"error":{"errorSummary":"body is not valid UTF-8"}}
--- no_error_log
connect() failed



=== TEST 5: nesting deeper than the cap
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::Deep)
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body_like: \{"error":\{"errorSummary":"[^"]*(deep|nest)[^"]*"\}\}
--- no_error_log
connect() failed



=== TEST 6: an empty body
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request
POST /hook
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body chomp
{"error":{"errorSummary":"body is not valid JSON"}}



=== TEST 7: a body over okta_telephony_max_body_size (Content-Length)
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::Big)
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 413
--- response_body chomp
{"error":{"errorSummary":"request body is too large"}}
--- no_error_log
connect() failed



=== TEST 8: a chunked body over okta_telephony_max_body_size
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- raw_request eval
"POST /hook HTTP/1.1\r\nHost: localhost\r\nAuthorization: $::Secret\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
. sprintf("%x\r\n%s\r\n0\r\n\r\n", length($::Big), $::Big)
--- error_code: 413
--- response_body chomp
{"error":{"errorSummary":"request body is too large"}}
--- no_error_log
connect() failed



=== TEST 9: a larger limit lets a large (padded) hook through
--- http_config eval: $::StandIn
--- config eval
::hook_location(directives => ['okta_telephony_max_body_size 64k'])
--- request eval
my $h = $::VoiceHook; $h =~ s/^\{/{"padding":"${\('p' x 20000)}",/; ::hook_request($h)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')



=== TEST 10: letters in the OTP
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'otpCode', '"48a913"'))
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 200
--- response_body eval
::okta_field_error('data.messageProfile.otpCode', 'must contain digits only')
--- error_log
outcome=invalid
--- no_error_log
connect() failed
48a913



=== TEST 11: no OTP at all
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::without_field($::VoiceHook, 'otpCode'))
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.otpCode', 'is required')
--- no_error_log
connect() failed



=== TEST 12: an OTP as a number
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'otpCode', '482913'))
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.otpCode', 'must be a string')
--- no_error_log
connect() failed



=== TEST 13: otpCode at an undocumented path does not count
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
my $h = ::without_field($::VoiceHook, 'otpCode');
$h =~ s/"userId"/"otpCode": "123456", "userId"/; ::hook_request($h)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.otpCode', 'is required')
--- no_error_log
connect() failed



=== TEST 14: a phone number without + and no default country code
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'phoneNumber', '"6598765432"'))
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.phoneNumber', 'needs a country code (+...)')
--- no_error_log
connect() failed
6598765432



=== TEST 15: a phone number without + uses the default country code, formatting removed
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_default_country_code 1'])
--- request eval
::hook_request(::with_field($::SmsHook, 'phoneNumber', '"(415) 555-0123"'))
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('sms', '{"destination":"+14155550123","text":"Your Example Corp code is 731455","clientMessageId":"cD3871kJThSsU8qlA1LTyy","clientIp":"203.0.113.7","expiry":"' . $::Expires . '"}'))
--- tcp_query_len eval
length(::eight_request('sms', '{"destination":"+14155550123","text":"Your Example Corp code is 731455","clientMessageId":"cD3871kJThSsU8qlA1LTyy","clientIp":"203.0.113.7","expiry":"' . $::Expires . '"}'))
--- tcp_reply eval
::eight_reply(200, $::SmsQueued)
--- response_body eval
::okta_action('SUCCESSFUL', 'bda3d56d-1424-e711-813c-06ed3428fe67')



=== TEST 16: a phone number too short
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'phoneNumber', '"+123"'))
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.phoneNumber', 'must have 8 to 15 digits')
--- no_error_log
connect() failed



=== TEST 17: an unknown delivery channel
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'deliveryChannel', '"email"'))
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.deliveryChannel', 'must be SMS or voice call')
--- no_error_log
connect() failed



=== TEST 18: a documented field given twice
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
my $h = $::VoiceHook; $h =~ s/"otpCode"/"otpCode": "111111", "otpCode"/; ::hook_request($h)
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body_like: \{"error":\{"errorSummary":"[^"]*(duplicate|twice)[^"]*"\}\}
--- no_error_log
connect() failed



=== TEST 19: hostile strings cannot change the JSON sent to 8x8
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::SmsHook, 'msgTemplate', '"Code 731455\",\"destination\":\"+19005550100\" </script> \\u0000"'))
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.msgTemplate', 'must not contain control characters')
--- no_error_log
connect() failed



=== TEST 20: quotes in Okta's template are escaped, not spliced
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::SmsHook, 'msgTemplate', '"Code 731455\",\"destination\":\"+19005550100"'))
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('sms', '{"destination":"+14155550123","text":"Code 731455\",\"destination\":\"+19005550100","clientMessageId":"cD3871kJThSsU8qlA1LTyy","clientIp":"203.0.113.7","expiry":"' . $::Expires . '"}'))
--- tcp_query_len eval
length(::eight_request('sms', '{"destination":"+14155550123","text":"Code 731455\",\"destination\":\"+19005550100","clientMessageId":"cD3871kJThSsU8qlA1LTyy","clientIp":"203.0.113.7","expiry":"' . $::Expires . '"}'))
--- tcp_reply eval
::eight_reply(200, $::SmsQueued)
--- response_body eval
::okta_action('SUCCESSFUL', 'bda3d56d-1424-e711-813c-06ed3428fe67')



=== TEST 21: an invalid end-user IP
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::SmsHook, 'ipAddress', '"203.0.113.7\", \"x"'))
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.context.request.ipAddress', 'must be an IP address')
--- no_error_log
connect() failed



=== TEST 22: an unknown request type is accepted like a verification
--- http_config eval: $::StandIn
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'requestType', '"com.okta.user.telephony.something-new"'))
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')
--- error_log
type=other
