# Which build is loaded: the module names its version and revision once at
# start, at notice.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

log_level('notice');
run_tests();

__DATA__

=== TEST 1: the version, the revision and the nginx it was built for
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- error_log eval
qr/\[notice\] .*okta_telephony module \d+\.\d+\.\d+ \(revision (?:[0-9a-f]{7,}|unknown)\), built for nginx \d+\.\d+\.\d+/
