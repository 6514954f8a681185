# Hostile bytes: the hook is strict UTF-8 everywhere (keys, ignored fields,
# escapes), text for a phone has no control or bidirectional characters,
# 8x8's words are cleaned before Okta or the log sees them, 8x8 repeating
# a documented key is not 8x8's JSON, otpExpires must exist and a code
# expired beyond the clocks' skew is not sent.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

our $Utf8Error = '{"error":{"errorSummary":"body is not valid UTF-8"}}';
our $CtlReason = 'must not contain control characters';
our $BidiReason = 'must not contain line separators or bidirectional controls';

sub tmpl { ::hook_request(::with_field($::SmsHook, 'msgTemplate', $_[0])) }
sub extra { my $h = $::VoiceHook; $h =~ s/^\{/{$_[0],/; ::hook_request($h) }
sub iso_ago { ::iso_time(time() - $_[0]) }

no_shuffle();
log_level('notice');
run_tests();

__DATA__

=== TEST 1: an overlong '/' in a template: 400, nothing sent
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::tmpl(qq{"Code 731455 \xc0\xaf"})
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body eval: $::Utf8Error
--- no_error_log
connect() failed



=== TEST 2: an overlong CR LF slips past no rule
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::tmpl(qq{"Code 731455\xc0\x8d\xc0\x8aSecond line"})
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body eval: $::Utf8Error
--- no_error_log
connect() failed



=== TEST 3: a UTF-8-encoded surrogate in a key of an ignored object
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::extra(qq{"x":{"k\xed\xa0\x80":1}})
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body eval: $::Utf8Error
--- no_error_log
connect() failed



=== TEST 4: a code point above U+10FFFF in an ignored field
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::extra(qq{"ignored":"\xf7\xbf\xbf\xbf"})
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body eval: $::Utf8Error
--- no_error_log
connect() failed



=== TEST 5: an unpaired low surrogate escape
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::tmpl(q{"Code 731455 \udc00"})
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body eval: $::Utf8Error
--- no_error_log
connect() failed



=== TEST 6: a lone high surrogate escape in a key
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::extra(q{"k\ud800":"v"})
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body eval: $::Utf8Error
--- no_error_log
connect() failed



=== TEST 7: a high surrogate escape followed by a non-surrogate one
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::tmpl(q{"Code 731455 \ud800\u0041"})
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 400
--- response_body eval: $::Utf8Error
--- no_error_log
connect() failed



=== TEST 8: valid pairs and 4-byte sequences reach 8x8 as sent
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::tmpl(qq{"Code 731455 \\ud83d\\ude00 \xf0\x9f\x98\x80 caf\\u00e9"})
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('sms', qq{{"destination":"+14155550123","text":"Code 731455 \xf0\x9f\x98\x80 \xf0\x9f\x98\x80 caf\xc3\xa9","clientMessageId":"cD3871kJThSsU8qlA1LTyy","clientIp":"203.0.113.7","expiry":"$::Expires"}}))
--- tcp_query_len eval
length(::eight_request('sms', qq{{"destination":"+14155550123","text":"Code 731455 \xf0\x9f\x98\x80 \xf0\x9f\x98\x80 caf\xc3\xa9","clientMessageId":"cD3871kJThSsU8qlA1LTyy","clientIp":"203.0.113.7","expiry":"$::Expires"}}))
--- tcp_reply eval
::eight_reply(200, $::SmsQueued)
--- response_body eval
::okta_action('SUCCESSFUL', 'bda3d56d-1424-e711-813c-06ed3428fe67')



=== TEST 9: a right-to-left override in msgTemplate (escaped)
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::tmpl(q{"Code \u202e557137"})
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.msgTemplate', $::BidiReason)
--- no_error_log
connect() failed



=== TEST 10: a first-strong isolate in msgTemplate (raw)
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::tmpl(qq{"Code \xe2\x81\xa6731455"})
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.msgTemplate', $::BidiReason)
--- no_error_log
connect() failed



=== TEST 11: a C1 control (CSI) in msgTemplate
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::tmpl(q{"Code 731455\u009b31m"})
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.msgTemplate', $::CtlReason)
--- no_error_log
connect() failed



=== TEST 12: DEL in msgTemplate
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::tmpl(q{"Code 731455\u007f"})
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.msgTemplate', $::CtlReason)
--- no_error_log
connect() failed



=== TEST 13: a line separator in msgTemplate
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::tmpl(q{"Code 731455\u2028more"})
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_field_error('data.messageProfile.msgTemplate', $::BidiReason)
--- no_error_log
connect() failed



=== TEST 14: nginx -t refuses a bidirectional override in the SMS template
--- config eval
"okta_telephony_sms_template \"Code \xe2\x80\xae{code}\";"
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_sms_template" must not contain line separators or bidirectional controls/



=== TEST 15: nginx -t refuses a C1 control in a voice text
--- config eval
"okta_telephony_voice_language fr fr-FR-DeniseNeural \"Code \xc2\x85{code}\";"
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_voice_language" needs a voice profile and a text with "\{code\}": the text must not contain control characters/



=== TEST 16: nginx -t refuses invalid UTF-8 in the SMS template
--- config eval
"okta_telephony_sms_template \"Code \xc0\xaf{code}\";"
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_sms_template" must be valid UTF-8/



=== TEST 17: 8x8's statusMessage is cleaned for Okta and the log
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(422, qq{{"sessionStatus":"NOT_CREATED","statusCode":-1017,"statusMessage":"Bad\xff\xc2\x85num\xe2\x80\xaeber\xe2\x80\xa8\xc2\x9b\xc0\xaf!"}})
--- response_body eval
::okta_action('FAILED', undef, "8x8 voice HTTP 422 -1017: Bad\xef\xbf\xbd num ber  \xef\xbf\xbd\xef\xbf\xbd!")
--- no_error_log eval
["\xe2\x80\xae", "\xc2\x85", "\xc2\x9b", "\xff", "\xc0\xaf", "[error]"]



=== TEST 18: a long statusMessage is cut at a character, not inside one
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(422, '{"sessionStatus":"NOT_CREATED","statusCode":-1017,"statusMessage":"' . ("\xc3\xa9" x 500) . '"}')
--- response_body_like eval
qr/^\{"commands":\[\{"type":"com.okta.telephony.action","value":\[\{"status":"FAILED","provider":"8x8","transactionMetadata":"8x8 voice HTTP 422 -1017: (\xc3\xa9)+"\}\]\}\]\}$/
--- response_body_unlike eval
qr/(\xc3\xa9){101}/



=== TEST 19: sessionStatus twice (NOT_CREATED, then CREATED) is not 8x8's JSON
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(200, '{"sessionId":"s1","sessionStatus":"NOT_CREATED","sessionStatus":"CREATED"}')
--- response_body_like eval
qr/"status":"FAILED".*reply is not 8x8 JSON/
--- error_log eval
qr/outcome=FAILED 8x8_status=200 txn=- latency=\d+ms detail=not-8x8-json/



=== TEST 20: umid twice in an SMS reply is not 8x8's JSON
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(200, '{"umid":"a","umid":"b","status":{"code":"QUEUED"}}')
--- response_body_like eval
qr/"status":"FAILED".*reply is not 8x8 JSON/



=== TEST 21: otpExpires on a day that does not exist
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- pipelined_requests eval
[::hook_request(::with_field($::SmsHook, 'otpExpires', '"2027-02-31T10:05:00.000Z"')),
 ::hook_request(::with_field($::SmsHook, 'otpExpires', '"2027-02-29T10:05:00Z"')),
 ::hook_request(::with_field($::SmsHook, 'otpExpires', '"2027-04-31T00:00:00Z"'))]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::okta_field_error('data.messageProfile.otpExpires', 'must be an ISO-8601 UTC time'),
 ::okta_field_error('data.messageProfile.otpExpires', 'must be an ISO-8601 UTC time'),
 ::okta_field_error('data.messageProfile.otpExpires', 'must be an ISO-8601 UTC time')]
--- no_error_log
connect() failed



=== TEST 22: a code expired two minutes ago is answered FAILED, not sent
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::SmsHook, 'otpExpires', '"' . ::iso_ago(120) . '"'))
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('FAILED', undef, 'otpExpires has passed: not sent to 8x8')
--- error_log eval
qr/outcome=FAILED 8x8_status=0 txn=- latency=\d+ms detail=expired/
--- no_error_log
connect() failed



=== TEST 23: a code that expired 5 s ago is within the skew: sent
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::SmsHook, 'otpExpires', '"' . ::iso_ago(5) . '"'))
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(200, $::SmsQueued)
--- response_body eval
::okta_action('SUCCESSFUL', 'bda3d56d-1424-e711-813c-06ed3428fe67')



=== TEST 24: a requestType too long is "other"
--- http_config eval: $::StandIn
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'requestType', '"' . ('x' x 300) . '"'))
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')
--- error_log eval
qr/type=other channel=voice .*outcome=SUCCESSFUL/
--- no_error_log
[error]



=== TEST 25: a requestType that is not a string is "other"
--- http_config eval: $::StandIn
--- config eval: $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'requestType', '{"a":[1,2]}'))
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')
--- error_log eval
qr/type=other channel=voice .*outcome=SUCCESSFUL/
--- no_error_log
[error]
