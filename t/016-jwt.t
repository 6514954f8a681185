# okta_telephony_auth jwt | both | either: Okta's OAuth 2.0 access token
# (RS256), its claims, keys from a JWKS file or fetched through an internal
# location into a zone, the 401 with WWW-Authenticate, and the nginx -t
# refusals. Tokens and keys are made here with the openssl command.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; require "./t/lib-jwt.pl"; }

our $K1 = ::make_key('k1');
our $K2 = ::make_key('k2');
our $Small = ::make_key('small1024', 1024);
$ENV{TEST_NGINX_JWKS} = ::write_file('jwks.json', ::jwks($K1));
$ENV{TEST_NGINX_JWKS_SMALL} = ::write_file('small.json', ::jwks($Small));
$ENV{TEST_NGINX_JWKS_BAD} = ::write_file('bad.json', '{"keys":[');

our $Good = ::token($K1, ::claims());
our $Good2 = ::token($K2, ::claims());
our %Bad = (
    expired   => ::token($K1, ::claims(exp => time() - 600)),
    aud       => ::token($K1, ::claims(aud => 'api://other')),
    cid       => ::token($K1, ::claims(cid => '0oaSomeoneElse')),
    scope     => ::token($K1, ::claims(scp => ['okta.users.read'])),
    iss       => ::token($K1, ::claims(iss => 'https://evil.example/oauth2/x')),
    noexp     => ::token($K1, ::claims(exp => undef)),
    future    => ::token($K1, ::claims(nbf => time() + 600)),
    kid       => ::token($K2, ::claims()),
    none      => ::b64url('{"alg":"none","kid":"k1"}') . '.'
                 . ::b64url('{"iss":"x"}') . '.',
    hs256     => ::token($K1, ::claims(), { alg => 'HS256', kid => 'k1' }),
);
# a payload changed after signing
our $Tampered = do {
    my ($h, $p, $s) = split /\./, $Good;
    my $c = ::claims(cid => '0oaAttacker');
    join '.', $h, ::b64url(JSON::PP->new->canonical->encode($c)), $s;
};
# exp 60 s ago: inside the default 120 s leeway
our $Leeway = ::token($K1, ::claims(exp => time() - 60));

our $VoiceBody = '{"validUntil":"' . $::Expires . '","clientRequestId":"uS5871kJThSsU8qlA1LTcg","callflow":['
  . '{"action":"makeCall","params":{"source":"+6512341234","destination":"+6598765432"}},'
  . '{"action":"say","params":{"text":"Your verification code is 4, 8, 2, 9, 1, 3.",'
  . '"voiceProfile":"en-US-Jenny","repetition":2,"speed":0.8}},'
  . '{"action":"hangup"}]}';

sub jwt_loc {
    my (%o) = @_;
    my @d = ("okta_telephony_auth " . ($o{mode} || 'jwt'),
             "okta_telephony_jwt_issuer $::Issuer",
             "okta_telephony_jwt_audience api://first $::Audience",
             "okta_telephony_jwt_client_id $::ClientId",
             "okta_telephony_jwt_scope $::Scope");
    push @d, 'okta_telephony_jwks_file $TEST_NGINX_JWKS' unless $o{fetch};
    push @d, 'okta_telephony_jwks_location /_okta/keys',
             'okta_telephony_jwks_zone okta' if $o{fetch};
    push @d, @{ $o{more} || [] };
    my $loc = ::hook_location(directives => \@d);
    $loc .= <<'_EOC_' if $o{fetch};
    location = /_okta/keys {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_2/oauth2/v1/keys;
    }
_EOC_
    return $loc;
}

# The stand-in: 8x8 and, for the fetched keys, Okta's keys endpoint.
sub keys_standin {
    my ($status, $jwks) = @_;
    my $s = "    okta_telephony_zone okta 1m;\n" . $::StandIn;
    $s =~ s{(default_type application/json;)}{$1
        location = /oauth2/v1/keys {
            add_header Cache-Control "max-age=600";
            return $status '$jwks';
        }};
    return $s;
}

our @NoToken = ((map { qr/\Q$_\E/ } ($Good, $Good2, values %Bad)), @::Private);
our $Refused = '{"error":{"errorSummary":"authentication required"}}';
our $Challenge = 'Bearer realm="okta-telephony", error="invalid_token"';

no_shuffle();
log_level('info');
add_block_preprocessor(sub {
    my $b = shift;
    # every refusal block: 401, the JSON error and the challenge
    if (defined $b->{refused}) {
        my ($why) = $b->refused =~ /^\s*(.*?)\s*$/;
        $b->set_value('error_code', '401');
        $b->set_value('response_body', $::Refused);
        $b->set_value('error_log',
                      "okta telephony: bearer token refused: $why");
    }
});
run_tests();

__DATA__

=== TEST 1: a good token from the JWKS file: 8x8 gets only what the module sends
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Good"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('voice', $::VoiceBody))
--- tcp_query_len eval
length(::eight_request('voice', $::VoiceBody))
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- response_body eval
::okta_action('SUCCESSFUL', '03cc8cac-376b-11ef-a28b-0582ff0039d5')
--- error_log
outcome=SUCCESSFUL
auth=jwt
--- no_error_log eval
[@::NoToken, '[error]', 'refused']



=== TEST 2: the same token again (cached): still accepted
--- http_config eval: $::StandIn
--- config eval: ::jwt_loc()
--- request eval
[::hook_request($::VoiceHook), ::hook_request($::VoiceHook)]
--- more_headers eval
"Authorization: Bearer $::Good"
--- response_body eval
[::okta_action('SUCCESSFUL', 'standin-voice-1'),
 ::okta_action('SUCCESSFUL', 'standin-voice-1')]
--- no_error_log eval
[@::NoToken, 'refused']



=== TEST 3: no token: 401 with a challenge without an error
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="okta-telephony"
--- response_body eval: $::Refused
--- error_log
bearer token refused: no bearer token
--- no_error_log eval
["connect() failed", @::Private]



=== TEST 4: the shared secret is not a token
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- refused: no bearer token
--- no_error_log eval
["connect() failed", @::Private]



=== TEST 5: expired beyond the leeway
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Bad{expired}"
--- refused: expired
--- response_headers eval
"WWW-Authenticate: $::Challenge"
--- no_error_log eval
["connect() failed", @::NoToken]



=== TEST 6: expired 60 s ago is inside the default 120 s leeway
--- http_config eval: $::StandIn
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Leeway"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')



=== TEST 7: ... and outside okta_telephony_jwt_leeway 30s
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc(more => ['okta_telephony_jwt_leeway 30s'])
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Leeway"
--- refused: expired



=== TEST 8: another audience
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Bad{aud}"
--- refused: wrong aud



=== TEST 9: another client (cid)
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Bad{cid}"
--- refused: wrong cid



=== TEST 10: without the hook's scope
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Bad{scope}"
--- refused: scope missing



=== TEST 11: another issuer
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Bad{iss}"
--- refused: wrong iss



=== TEST 12: no exp
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Bad{noexp}"
--- refused: exp missing



=== TEST 13: nbf in the future
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Bad{future}"
--- refused: not yet valid



=== TEST 14: a kid the JWKS file does not hold
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Bad{kid}"
--- refused: unknown kid
--- error_log
kid=k2



=== TEST 15: alg none
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Bad{none}"
--- refused: alg none refused



=== TEST 16: HS256 (the RSA key used as an HMAC secret)
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Bad{hs256}"
--- refused: alg HS* refused



=== TEST 17: a payload changed after signing
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc()
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Tampered"
--- refused: bad signature



=== TEST 18: both: the secret and the token
--- http_config eval: $::StandIn
--- config eval
::jwt_loc(mode => 'both', more => ['okta_telephony_auth_header X-Okta-Secret'])
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"X-Okta-Secret: $::Secret\nAuthorization: Bearer $::Good"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')
--- error_log
auth=both



=== TEST 19: both: the token alone is not enough
--- http_config eval: $::Upstreams
--- config eval
::jwt_loc(mode => 'both', more => ['okta_telephony_auth_header X-Okta-Secret'])
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Good"
--- error_code: 401
--- error_log
request without a valid "x-okta-secret" header refused



=== TEST 20: both: the secret alone is not enough
--- http_config eval: $::Upstreams
--- config eval
::jwt_loc(mode => 'both', more => ['okta_telephony_auth_header X-Okta-Secret'])
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"X-Okta-Secret: $::Secret"
--- refused: no bearer token



=== TEST 21: either: the secret, logged as such
--- http_config eval: $::StandIn
--- config eval: ::jwt_loc(mode => 'either')
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')
--- error_log
auth=secret
--- no_error_log eval
[@::NoToken]



=== TEST 22: either: the token, logged as such
--- http_config eval: $::StandIn
--- config eval: ::jwt_loc(mode => 'either')
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Good"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')
--- error_log
auth=jwt



=== TEST 23: either: neither
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc(mode => 'either')
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Bad{cid}"
--- refused: wrong cid
--- error_log
(and no valid secret header)



=== TEST 24: keys fetched through the internal location, then cached
--- http_config eval: ::keys_standin(200, ::jwks($::K1, $::K2))
--- config eval: ::jwt_loc(fetch => 1)
--- request eval
[::hook_request($::VoiceHook), ::hook_request($::VoiceHook)]
--- more_headers eval
"Authorization: Bearer $::Good2"
--- response_body eval
[::okta_action('SUCCESSFUL', 'standin-voice-1'),
 ::okta_action('SUCCESSFUL', 'standin-voice-1')]
--- grep_error_log eval: qr/keys fetched from "[^"]*" \([a-z ]+\), kept \d+ s/
--- grep_error_log_out eval
qr/^(keys fetched from "\/_okta\/keys" \(cold\), kept 600 s\n)?$/
--- no_error_log eval
[@::NoToken, '[error]']



=== TEST 25: a failed fetch: refused, said why, nothing crashes
--- http_config eval: ::keys_standin(500, '{}')
--- config eval: ::jwt_loc(fetch => 1)
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Good"
--- refused: unknown kid
--- error_log
key fetch from "/_okta/keys" failed: not HTTP 200 (HTTP 500, 2 bytes)



=== TEST 26: a fetched document that is not a JWKS
--- http_config eval: ::keys_standin(200, '{"keys":[{"kty":"RSA"')
--- config eval: ::jwt_loc(fetch => 1)
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Good"
--- refused: unknown kid
--- error_log
key fetch from "/_okta/keys" failed



=== TEST 27: an unknown kid: the first fetch, one refetch, then none for 30 s
--- http_config eval: ::keys_standin(200, ::jwks($::K1))
--- config eval: ::jwt_loc(fetch => 1)
--- request eval
[::hook_request($::VoiceHook), ::hook_request($::VoiceHook),
 ::hook_request($::VoiceHook)]
--- more_headers eval
"Authorization: Bearer $::Bad{kid}"
--- error_code eval
[401, 401, 401]
--- response_body eval
[$::Refused, $::Refused, $::Refused]
--- grep_error_log eval: qr/keys fetched from "[^"]*" \([a-z ]+\)/
--- grep_error_log_out eval
qr/^(keys fetched from "\/_okta\/keys" \((cold|unknown kid)\)\n)?$/



=== TEST 28: nginx -t: jwt without an issuer
--- http_config eval: $::Upstreams
--- config eval
my $l = ::jwt_loc(); $l =~ s/okta_telephony_jwt_issuer [^;]*;//; $l
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony" in .*:\d+ with "okta_telephony_auth jwt" has no "okta_telephony_jwt_issuer"/



=== TEST 29: nginx -t: an http:// issuer
--- http_config eval: $::Upstreams
--- config eval
my $l = ::jwt_loc(); $l =~ s{https://acme}{http://acme}; $l
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_jwt_issuer" must start with "https:\/\/", not "http:\/\/acme/



=== TEST 30: nginx -t: no audience
--- http_config eval: $::Upstreams
--- config eval
my $l = ::jwt_loc(); $l =~ s/okta_telephony_jwt_audience [^;]*;//; $l
--- must_die
--- error_log eval
qr/has no "okta_telephony_jwt_audience"/



=== TEST 31: nginx -t: no client id
--- http_config eval: $::Upstreams
--- config eval
my $l = ::jwt_loc(); $l =~ s/okta_telephony_jwt_client_id [^;]*;//; $l
--- must_die
--- error_log eval
qr/has no "okta_telephony_jwt_client_id"/



=== TEST 32: nginx -t: no key source
--- http_config eval: $::Upstreams
--- config eval
my $l = ::jwt_loc(); $l =~ s/okta_telephony_jwks_file [^;]*;//; $l
--- must_die
--- error_log eval
qr/has neither "okta_telephony_jwks_file" nor "okta_telephony_jwks_location"/



=== TEST 33: nginx -t: a JWKS file that does not parse
--- http_config eval: $::Upstreams
--- config eval
my $l = ::jwt_loc(); $l =~ s/TEST_NGINX_JWKS;/TEST_NGINX_JWKS_BAD;/; $l
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_jwks_file" ".*bad.json" is not a usable JWKS/



=== TEST 34: nginx -t: a JWKS file with only a 1024-bit key
--- http_config eval: $::Upstreams
--- config eval
my $l = ::jwt_loc(); $l =~ s/TEST_NGINX_JWKS;/TEST_NGINX_JWKS_SMALL;/; $l
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_jwks_file" ".*small.json" holds no usable RS256 key/



=== TEST 35: nginx -t: both with the secret in Authorization
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc(mode => 'both')
--- must_die
--- error_log eval
qr/needs the secret in another header than Authorization/



=== TEST 36: nginx -t: a key location without a zone
--- http_config eval
"    okta_telephony_zone okta 1m;\n" . $::Upstreams
--- config eval
my $l = ::jwt_loc(fetch => 1); $l =~ s/okta_telephony_jwks_zone okta;//; $l
--- must_die
--- error_log eval
qr/needs both "okta_telephony_jwks_location" and "okta_telephony_jwks_zone"/



=== TEST 37: nginx -t: a leeway over 10 minutes
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc(more => ['okta_telephony_jwt_leeway 1h'])
--- must_die
--- error_log eval
qr/"okta_telephony_jwt_leeway" must be at most 10m, not "1h"/



=== TEST 38: nginx -t: an unknown mode
--- http_config eval: $::Upstreams
--- config eval: ::jwt_loc(mode => 'token')
--- must_die
--- error_log eval
qr/invalid value "token"/



=== TEST 39: a refused token is counted as auth failure reason "token"
--- http_config eval
"    okta_telephony_zone okta 1m;\n" . $::Upstreams
--- config eval
::jwt_loc(more => ['okta_telephony_metrics_zone okta'])
. "    location = /metrics { okta_telephony_metrics okta; }\n"
--- request eval
[::hook_request($::VoiceHook), "GET /metrics"]
--- more_headers eval
"Authorization: Bearer $::Bad{cid}"
--- error_code eval
[401, 200]
--- response_body_like eval
[qr/authentication required/,
 qr/okta_telephony_auth_failures_total\{reason="token"\} 1\n/]
