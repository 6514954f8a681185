# The body arrives in every shape nginx can hand over: one buffer, several
# chunks, slowly in pieces, spilled to a temporary file; and several hooks
# on one keep-alive connection.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

our $Head = "POST /hook HTTP/1.1\r\nHost: localhost\r\nAuthorization: $::Secret\r\nConnection: close\r\n";

sub chunked {
    my ($body, $n) = @_;
    my $out = '';
    while (length $body) {
        my $piece = substr($body, 0, $n, '');
        $out .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
    }
    return $out . "0\r\n\r\n";
}

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: body written to a temporary file (client_body_in_file_only)
--- http_config eval: $::StandIn
--- config eval
"client_body_in_file_only clean;\n" . $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')



=== TEST 2: body spilled to a temporary file (client_body_buffer_size smaller than the body)
--- http_config eval: $::StandIn
--- config eval
"client_body_buffer_size 256;\n" . $::Loc
--- raw_request eval
[$::Head . "Content-Length: " . length($::SmsHook) . "\r\n\r\n" . substr($::SmsHook, 0, 100),
 substr($::SmsHook, 100, 500), substr($::SmsHook, 600)]
--- raw_request_middle_delay: 0.05
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-sms-1')
--- error_log
a client request body is buffered to a temporary file



=== TEST 3: a chunked body in many small chunks
--- http_config eval: $::StandIn
--- config eval: $::Loc
--- raw_request eval
$::Head . "Transfer-Encoding: chunked\r\n\r\n" . ::chunked($::VoiceHook, 7)
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')



=== TEST 4: a chunked body arriving slowly, chunk by chunk
--- http_config eval: $::StandIn
--- config eval: $::Loc
--- raw_request eval
my $c = ::chunked($::SmsHook, 200);
[$::Head . "Transfer-Encoding: chunked\r\n\r\n", map { substr($c, $_ * 300, 300) } 0 .. int(length($c) / 300)]
--- raw_request_middle_delay: 0.02
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-sms-1')



=== TEST 5: a Content-Length body arriving byte-wise in pieces
--- http_config eval: $::StandIn
--- config eval: $::Loc
--- raw_request eval
my $b = $::VoiceHook;
[$::Head . "Content-Length: " . length($b) . "\r\n\r\n", map { substr($b, $_ * 97, 97) } 0 .. int(length($b) / 97)]
--- raw_request_middle_delay: 0.01
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')



=== TEST 6: several hooks on one keep-alive connection
--- http_config eval: $::StandIn
--- config eval: $::Loc
--- pipelined_requests eval
[::hook_request($::VoiceHook), ::hook_request($::SmsHook), ::hook_request($::FrHook), ::hook_request('nope')]
--- more_headers eval
"Authorization: $::Secret"
--- error_code eval
[200, 200, 200, 400]
--- response_body eval
[::okta_action('SUCCESSFUL', 'standin-voice-1'), ::okta_action('SUCCESSFUL', 'standin-sms-1'),
 ::okta_action('SUCCESSFUL', 'standin-voice-1'), '{"error":{"errorSummary":"body is not valid JSON"}}']
