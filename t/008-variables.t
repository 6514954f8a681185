# $okta_telephony_outcome, $okta_telephony_event_id and
# $okta_telephony_transaction_id, e.g. for an access_log format.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

our $Headers = <<'_EOC_';
    add_header X-Outcome $okta_telephony_outcome always;
    add_header X-Event $okta_telephony_event_id always;
    add_header X-Txn $okta_telephony_transaction_id always;
_EOC_

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: an accepted hook
--- http_config eval: $::StandIn
--- config eval: $::Headers . $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_headers
X-Outcome: SUCCESSFUL
X-Event: uS5871kJThSsU8qlA1LTcg
X-Txn: standin-voice-1



=== TEST 2: a hook that fails validation
--- http_config eval: $::Upstreams
--- config eval: $::Headers . $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'otpCode', '"x"'))
--- more_headers eval
"Authorization: $::Secret"
--- response_headers
X-Outcome: invalid
!X-Event
!X-Txn



=== TEST 3: an unauthenticated request has no outcome
--- http_config eval: $::Upstreams
--- config eval: $::Headers . $::Loc
--- request eval
::hook_request($::VoiceHook)
--- error_code: 401
--- response_headers
!X-Outcome
!X-Event



=== TEST 4: usable in an access_log format
--- http_config eval
$::StandIn . q{
    log_format okta '$okta_telephony_event_id $okta_telephony_outcome $okta_telephony_transaction_id $status';
}
--- config eval
"access_log logs/okta.log okta;\n" . $::Loc . q{
    location = /read-log {
        alias logs/okta.log;
    }
}
--- pipelined_requests eval
[::hook_request($::SmsHook), "GET /read-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::okta_action('SUCCESSFUL', 'standin-sms-1'), "cD3871kJThSsU8qlA1LTyy SUCCESSFUL standin-sms-1 200\n"]
