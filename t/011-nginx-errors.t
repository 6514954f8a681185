# Errors nginx itself answers on a hook location, or on the hook's server
# before a location is chosen, reach Okta as JSON like the module's own.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

sub json_error { return '{"error":{"errorSummary":"' . $_[0] . '"}}' }

sub raw_hook {
    my ($headers, $body) = @_;
    return "POST /hook HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
         . "Authorization: $::Secret\r\n$headers\r\n$body";
}

no_shuffle();
log_level('notice');
run_tests();

__DATA__

=== TEST 1: a bad chunk size
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- raw_request eval
::raw_hook("Transfer-Encoding: chunked\r\n", "zz\r\n{}\r\n0\r\n\r\n")
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body eval: ::json_error('bad request')



=== TEST 2: a body over client_max_body_size (nginx refuses it before the module)
--- http_config eval: $::Upstreams
--- config eval: ::hook_location(directives => ["client_max_body_size 1k"])
--- raw_request eval
::raw_hook("Content-Length: 2000\r\n", 'x' x 2000)
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body eval: ::json_error('request body is too large')



=== TEST 3: a chunked body over client_max_body_size
--- http_config eval: $::Upstreams
--- config eval: ::hook_location(directives => ["client_max_body_size 1k"])
--- raw_request eval
my $c = 'x' x 1500;
::raw_hook("Transfer-Encoding: chunked\r\n", sprintf("%x\r\n%s\r\n0\r\n\r\n", length $c, $c))
--- error_code: 413
--- response_body eval: ::json_error('request body is too large')



=== TEST 4: Content-Length with Transfer-Encoding (before any location)
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- raw_request eval
::raw_hook("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", "2\r\n{}\r\n0\r\n\r\n")
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body eval: ::json_error('bad request')



=== TEST 5: oversized headers (before any location)
--- http_config eval: $::Upstreams
--- config eval: "large_client_header_buffers 2 1k;\n" . $::Loc
--- raw_request eval
::raw_hook("X-Pad: " . ('p' x 1500) . "\r\n", "")
--- error_code: 400
--- response_body eval: ::json_error('bad request')



=== TEST 6: other locations of the server keep nginx's own pages
--- http_config eval: $::Upstreams
--- config eval: $::Loc . "    location = /other { return 404; }\n"
--- request
GET /other
--- error_code: 404
--- response_body_like: <html>
