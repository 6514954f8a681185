# Voice: the call flow 8x8 receives, byte for byte, and Okta's answer for
# each kind of 8x8 reply.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

our $VoiceBody = '{"validUntil":"' . $::Expires . '","clientRequestId":"uS5871kJThSsU8qlA1LTcg","callflow":['
  . '{"action":"makeCall","params":{"source":"+6512341234","destination":"+6598765432"}},'
  . '{"action":"say","params":{"text":"Your verification code is 4, 8, 2, 9, 1, 3.",'
  . '"voiceProfile":"en-US-Jenny","repetition":2,"speed":0.8}},'
  . '{"action":"hangup"}]}';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a voice hook becomes an 8x8 call flow; CREATED is SUCCESSFUL
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret\nCookie: session=okta\nX-Forwarded-For: 198.51.100.9\nUser-Agent: Okta Inline Hook"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('voice', $::VoiceBody))
--- tcp_query_len eval
length(::eight_request('voice', $::VoiceBody))
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body eval
::okta_action('SUCCESSFUL', '03cc8cac-376b-11ef-a28b-0582ff0039d5')
--- error_log eval
qr/\[notice\] .*okta telephony: event=uS5871kJThSsU8qlA1LTcg type=mfa-verification channel=voice to=\+65\*{6}32 outcome=SUCCESSFUL 8x8_status=200 txn=03cc8cac-376b-11ef-a28b-0582ff0039d5 latency=\d+ms/
--- no_error_log eval
[@::Private, '[error]']



=== TEST 2: French locale with a French voice configured
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_voice_language fr-fr fr-FR-DeniseNeural "Votre code est {code}."'])
--- request eval
::hook_request($::FrHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('voice', '{"validUntil":"' . $::Expires . '","clientRequestId":"aB2871kJThSsU8qlA1LTxx","callflow":[{"action":"makeCall","params":{"source":"+6512341234","destination":"+33612345678"}},{"action":"say","params":{"text":"Votre code est 9, 0, 2, 1, 0.","voiceProfile":"fr-FR-DeniseNeural","repetition":2,"speed":0.8}},{"action":"hangup"}]}'))
--- tcp_query_len eval
length(::eight_request('voice', '{"validUntil":"' . $::Expires . '","clientRequestId":"aB2871kJThSsU8qlA1LTxx","callflow":[{"action":"makeCall","params":{"source":"+6512341234","destination":"+33612345678"}},{"action":"say","params":{"text":"Votre code est 9, 0, 2, 1, 0.","voiceProfile":"fr-FR-DeniseNeural","repetition":2,"speed":0.8}},{"action":"hangup"}]}'))
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- response_body eval
::okta_action('SUCCESSFUL', '03cc8cac-376b-11ef-a28b-0582ff0039d5')



=== TEST 3: FR-FR falls back to the primary language "fr"; speed and repetition configured
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_voice_language fr fr-FR-DeniseNeural "Code {code}"', 'okta_telephony_voice_speed 1.25', 'okta_telephony_voice_repetition 3'])
--- request eval
::hook_request($::FrHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('voice', '{"validUntil":"' . $::Expires . '","clientRequestId":"aB2871kJThSsU8qlA1LTxx","callflow":[{"action":"makeCall","params":{"source":"+6512341234","destination":"+33612345678"}},{"action":"say","params":{"text":"Code 9, 0, 2, 1, 0","voiceProfile":"fr-FR-DeniseNeural","repetition":3,"speed":1.25}},{"action":"hangup"}]}'))
--- tcp_query_len eval
length(::eight_request('voice', '{"validUntil":"' . $::Expires . '","clientRequestId":"aB2871kJThSsU8qlA1LTxx","callflow":[{"action":"makeCall","params":{"source":"+6512341234","destination":"+33612345678"}},{"action":"say","params":{"text":"Code 9, 0, 2, 1, 0","voiceProfile":"fr-FR-DeniseNeural","repetition":3,"speed":1.25}},{"action":"hangup"}]}'))
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- response_body eval
::okta_action('SUCCESSFUL', '03cc8cac-376b-11ef-a28b-0582ff0039d5')



=== TEST 4: legacy "CALL" channel and an unconfigured locale (en_GB) use the built-in English voice
--- http_config eval: $::Upstreams
--- config eval
::hook_location(directives => ['okta_telephony_voice_language fr fr-FR-DeniseNeural "Code {code}"'])
--- request eval
::hook_request($::LegacyHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('voice', '{"validUntil":"' . $::Expires . '","clientRequestId":"eF4871kJThSsU8qlA1LTzz","callflow":[{"action":"makeCall","params":{"source":"+6512341234","destination":"+447700900123"}},{"action":"say","params":{"text":"Your verification code is 1, 1, 8, 8, 2, 2.","voiceProfile":"en-US-Jenny","repetition":2,"speed":0.8}},{"action":"hangup"}]}'))
--- tcp_query_len eval
length(::eight_request('voice', '{"validUntil":"' . $::Expires . '","clientRequestId":"eF4871kJThSsU8qlA1LTzz","callflow":[{"action":"makeCall","params":{"source":"+6512341234","destination":"+447700900123"}},{"action":"say","params":{"text":"Your verification code is 1, 1, 8, 8, 2, 2.","voiceProfile":"en-US-Jenny","repetition":2,"speed":0.8}},{"action":"hangup"}]}'))
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- response_body eval
::okta_action('SUCCESSFUL', '03cc8cac-376b-11ef-a28b-0582ff0039d5')
--- error_log eval
qr/event=eF4871kJThSsU8qlA1LTzz type=account-unlock channel=voice to=\+44\*{8}23 outcome=SUCCESSFUL/



=== TEST 5: 8x8 refuses the destination (422, -1017): FAILED with 8x8's code and message
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(422, $::Voice1017)
--- response_body eval
::okta_action('FAILED', undef, '8x8 voice HTTP 422 -1017: Invalid MSISDN format in Destination')
--- error_log eval
qr/outcome=FAILED 8x8_status=422 txn=- latency=\d+ms detail=-1017/
--- no_error_log eval
[@::Private]



=== TEST 6: 8x8 refuses the API key (401): FAILED
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(401, $::Voice401)
--- response_body eval
::okta_action('FAILED', undef, '8x8 voice HTTP 401 401: Authentication header not found or token invalid')



=== TEST 7: HTTP 200 with NOT_CREATED is not a success
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(200, '{"sessionStatus":"NOT_CREATED","statusCode":-1014,"statusMessage":"Caller id not allowed"}')
--- response_body eval
::okta_action('FAILED', undef, '8x8 voice HTTP 200 -1014: Caller id not allowed')



=== TEST 8: a voice hook where only SMS is configured: FAILED, nothing sent
--- http_config eval: $::Upstreams
--- config eval
my $l = $::Loc; $l =~ s/\s*okta_telephony_voice_location[^;]*;//; $l
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('FAILED', undef, 'voice delivery is not configured')
--- no_error_log
connect() failed
