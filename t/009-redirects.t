# Whatever happens to the 8x8 subrequest inside nginx (X-Accel-Redirect
# from the upstream, error_page, try_files, rewrite ... last), Okta gets
# one honest answer, its connection stays usable, and 8x8 gets one request.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

# An 8x8 stand-in that accepts the call and adds a hostile header; every
# request it gets is logged to logs/eight.log ("METHOD URI").
sub standin {
    my ($header) = @_;
    my $port = $::StandInPort;
    return <<"_EOC_";
    log_format eight '\$request_method \$uri';
    upstream eightbyeight_voice { server 127.0.0.1:$port; }
    upstream eightbyeight_sms { server 127.0.0.1:$port; }
    server {
        listen 127.0.0.1:$port;
        default_type application/json;
        access_log logs/eight.log eight;
        location / {
            add_header $header always;
            return 200 '{"sessionId":"standin-voice-1","sessionStatus":"CREATED","statusCode":1,"statusMessage":"Created","umid":"u1","status":{"code":"QUEUED"}}';
        }
    }
_EOC_
}

# The hook location plus a named location that would call 8x8 again, and
# a location that shows what the stand-in received.
sub locations {
    my ($loc) = @_;
    return ($loc || $::Loc) . <<'_EOC_';
    location @again {
        rewrite ^ /api/v1/subaccounts/acme/callflows break;
        proxy_pass http://eightbyeight_voice;
    }
    location = /eight-log {
        alias logs/eight.log;
    }
_EOC_
}

our $Refused = ::okta_action('FAILED', undef,
                             '8x8 voice reply redirected inside nginx: refused');
our $Once = "POST /api/v1/subaccounts/acme/callflows\n";

no_shuffle();
log_level('notice');
run_tests();

__DATA__

=== TEST 1: X-Accel-Redirect to the 8x8 location itself: not followed, 8x8 called once
--- http_config eval: ::standin('X-Accel-Redirect /_8x8/voice')
--- config eval: ::locations()
--- pipelined_requests eval
[::hook_request($::VoiceHook), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::Refused, $::Once]



=== TEST 2: the refusal is logged once, with the outcome
--- http_config eval: ::standin('X-Accel-Redirect /_8x8/voice')
--- config eval: ::locations()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval: $::Refused
--- error_log eval
[qr/\[warn\] .*okta telephony: internal redirect of the 8x8 voice request refused/,
 qr/\[notice\] .*outcome=FAILED 8x8_status=0 txn=- latency=\d+ms detail=redirected/]



=== TEST 3: X-Accel-Redirect to a named location
--- http_config eval: ::standin('X-Accel-Redirect @again')
--- config eval: ::locations()
--- pipelined_requests eval
[::hook_request($::VoiceHook), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::Refused, $::Once]



=== TEST 4: X-Accel-Redirect to a file path
--- http_config eval: ::standin('X-Accel-Redirect /etc/passwd')
--- config eval: ::locations()
--- pipelined_requests eval
[::hook_request($::VoiceHook), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::Refused, $::Once]
--- no_error_log
root:x:0



=== TEST 5: SMS: X-Accel-Redirect with other X-Accel headers
--- http_config eval
::standin('X-Accel-Redirect /_8x8/sms') =~ s/add_header /add_header X-Accel-Limit-Rate 1 always;\n            add_header X-Accel-Buffering no always;\n            add_header /r
--- config eval: ::locations()
--- pipelined_requests eval
[::hook_request($::SmsHook), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::okta_action('FAILED', undef, '8x8 sms reply redirected inside nginx: refused'),
 "POST /api/v1/subaccounts/acme/messages\n"]



=== TEST 6: X-Accel-Buffering, -Charset, -Limit-Rate, -Expires alone do not change the answer
--- http_config eval
::standin('X-Accel-Buffering no') =~ s/add_header /add_header X-Accel-Charset koi8-r always;\n            add_header X-Accel-Limit-Rate 1 always;\n            add_header X-Accel-Expires 60 always;\n            add_header /r
--- config eval: ::locations()
--- pipelined_requests eval
[::hook_request($::VoiceHook), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::okta_action('SUCCESSFUL', 'standin-voice-1'), $::Once]



=== TEST 7: error_page in the 8x8 location (8x8 unreachable): the error is the answer
--- http_config eval
"    upstream eightbyeight_voice { server 127.0.0.1:$::EightPort; }\n"
. "    upstream eightbyeight_sms { server 127.0.0.1:$::EightPort; }\n"
--- config eval
my $l = ::locations(); $l =~ s/(location = \/_8x8\/voice \{)/$1\n        error_page 502 = \@again;/;
$l . "    location = /ping { return 200 'pong'; }\n"
--- pipelined_requests eval
[::hook_request($::VoiceHook), "GET /ping"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::okta_action('FAILED', undef, '8x8 voice unreachable (HTTP 502 from nginx)'), "pong"]



=== TEST 8: proxy_intercept_errors with error_page on 8x8's own 500: not followed
--- http_config eval: ::standin('X-Nothing 1') =~ s/return 200/return 500/r
--- config eval
my $l = ::locations(); $l =~ s/(location = \/_8x8\/voice \{)/$1\n        proxy_intercept_errors on;\n        error_page 500 = \@again;/; $l
--- pipelined_requests eval
[::hook_request($::VoiceHook), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::okta_action('FAILED', undef, '8x8 voice unreachable (HTTP 500 from nginx)'), $::Once]



=== TEST 9: try_files in the 8x8 location: nothing is sent
--- http_config eval: ::standin('X-Nothing 1')
--- config eval
my $l = ::locations(); $l =~ s/(location = \/_8x8\/voice \{)/$1\n        try_files \/no-such-file \@again;/; $l . "    location = /ping { return 200 'pong'; }\n"
--- pipelined_requests eval
[::hook_request($::VoiceHook), "GET /ping"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::Refused, "pong"]



=== TEST 10: async mode: the redirect is refused and logged, Okta already has PENDING
--- http_config eval: ::standin('X-Accel-Redirect /_8x8/voice')
--- config eval: ::locations(::hook_location(directives => ['okta_telephony_mode async']))
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('PENDING', undef, 'delivery started; outcome not confirmed')
--- wait: 0.3
--- error_log eval
[qr/outcome=async-accepted/, qr/outcome=async-failed 8x8_status=0 txn=- latency=\d+ms detail=redirected/]
