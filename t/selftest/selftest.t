# Self-test for the bundled Test::Nginx::Socket subset (t/lib).
# Uses only stock nginx features; all traffic stays on 127.0.0.1.
#   prove -I t/lib t/selftest/
# It is written so that it also passes under the real Test::Nginx::Socket.
# Requests to a tcp_listen server say their HTTP version and Connection
# header: nginx 1.30 defaults to HTTP/1.1 without "Connection: close"
# (1.22 to 1.28: HTTP/1.0, close), and the tcp server reads exactly the
# expected query's length.

use Test::Nginx::Socket;

# a test of the bundled runner itself: nothing to check under another one
BEGIN {
    my $util = $INC{'Test/Nginx/Util.pm'} // '';
    if ($util !~ m{(?:^|/)t/lib/Test/Nginx/Util\.pm$}) {
        require Test::More;
        Test::More::plan(skip_all => "not the bundled runner ($util)");
    }
}

repeat_each(2);

plan tests => repeat_each() * 47;

$ENV{TEST_NGINX_GREETING} = 'howdy';

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: plain return 200 body
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
    GET /t
--- response_body
hello
--- no_error_log
[error]



=== TEST 2: more_headers + response_headers (present, absent)
--- config
    location = /t {
        add_header X-Echo "$http_x_test";
        return 200 "ok\n";
    }
--- request
GET /t
--- more_headers
X-Test: blah
--- response_headers
X-Echo: blah
Content-Type: text/plain
!X-Absent
--- response_body
ok



=== TEST 3: error_code, error_log (string + eval regex), no_error_log
--- config
--- request
GET /no-such-file.html
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log eval
[
    "No such file or directory",
    qr/open\(\) "[^"]+no-such-file\.html" failed/,
]
--- no_error_log
[warn]



=== TEST 4: grep_error_log / grep_error_log_out
--- config
--- request
GET /nope.html
--- error_code: 404
--- grep_error_log eval: qr/No such file or directory/
--- grep_error_log_out
No such file or directory
--- response_body_like: Not Found



=== TEST 5: TEST_NGINX_* env expansion in config
--- config
    location = /t {
        return 200 "$TEST_NGINX_GREETING on $TEST_NGINX_SERVER_PORT\n";
    }
--- request
GET /t
--- response_body_like chomp
^howdy on \d+$



=== TEST 6: must_die with a bad directive
--- config
    location = /t {
        no_such_directive_here on;
    }
--- must_die
--- error_log
unknown directive "no_such_directive_here"



=== TEST 7: tcp_listen / tcp_query / tcp_reply through proxy_pass
--- config
    location = /up {
        proxy_set_header Host upstream;
        proxy_http_version 1.0;
        proxy_set_header Connection close;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/path;
    }
--- request
GET /up
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
"GET /path HTTP/1.0\r
Host: upstream\r
Connection: close\r
\r
"
--- tcp_reply eval
"HTTP/1.0 200 OK\r\nContent-Length: 5\r\nX-Up: yes\r\n\r\nfrom\n"
--- response_headers
X-Up: yes
--- response_body
from
--- no_error_log
[error]



=== TEST 8: request body gets a computed Content-Length (seen by tcp server)
--- config
    location = /up {
        proxy_set_header Host upstream;
        proxy_http_version 1.0;
        proxy_set_header Connection close;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
POST /up
hello world
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query_len: 87
--- tcp_reply_delay: 100ms
--- tcp_reply eval
"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n"
--- response_body
ok



=== TEST 9: chunked request body via raw_request pieces (de-chunked upstream)
--- config
    location = /up {
        proxy_set_header Host upstream;
        proxy_http_version 1.0;
        proxy_set_header Connection close;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- raw_request eval
["POST /up HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
\r
5\r
hello\r
",
"6\r
 world\r
0\r
\r
"]
--- raw_request_middle_delay: 0.05
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
"POST /up HTTP/1.0\r
Host: upstream\r
Connection: close\r
Content-Length: 11\r
\r
hello world"
--- tcp_reply eval
"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\ndone\n"
--- response_body
done



=== TEST 10: raw_request split inside the header block
--- config
    location = /t {
        return 200 "raw $http_x_split\n";
    }
--- raw_request eval
["GET /t HTTP/1.1\r\nHost: localhost\r\nX-Sp",
 "lit: yes\r\nConnection: close\r\n\r\n"]
--- raw_request_middle_delay: 0.1
--- response_body
raw yes



=== TEST 11: pipelined_requests over one keep-alive connection
--- config
    location = /a {
        return 200 "a $connection_requests\n";
    }
    location = /b {
        return 201 "b $connection_requests\n";
    }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- error_code eval
[200, 201]
--- response_body eval
["a 1\n", "b 2\n"]



=== TEST 12: several requests (separate connections) via request eval
--- config
    location = /a {
        return 200 "a $connection_requests\n";
    }
    location = /b {
        return 200 "b $connection_requests\n";
    }
--- request eval
["GET /a", "GET /b"]
--- response_body eval
["a 1\n", "b 1\n"]



=== TEST 13: chunked response decoding (HTTP/1.0 upstream without length)
--- config
    location = /t {
        proxy_set_header Host upstream;
        proxy_http_version 1.0;
        proxy_set_header Connection close;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /t
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
"HTTP/1.0 200 OK\r\nX-Up: 1\r\n\r\nchunky\n"
--- response_headers
Transfer-Encoding: chunked
!Content-Length
--- response_body
chunky



=== TEST 14: client timeout + abort (upstream never answers)
--- config
    location = /slow {
        proxy_set_header Host upstream;
        proxy_http_version 1.0;
        proxy_set_header Connection close;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /slow
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply:
--- tcp_no_close
--- timeout: 300ms
--- abort
--- ignore_response



=== TEST 15: http_config + main_config
--- main_config
    env TEST_NGINX_GREETING;
--- http_config
    map $uri $mapped {
        default  "mapped-default";
        /m       "mapped-m";
    }
--- config
    location = /m {
        return 200 "$mapped\n";
    }
--- request
GET /m
--- response_body
mapped-m



=== TEST 16: SKIP'd block is not run
--- config
    location = /t {
        return 500;
    }
--- request
GET /t
--- response_body
never checked
--- SKIP
