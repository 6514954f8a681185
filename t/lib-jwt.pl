# Okta-like OAuth 2.0 access tokens for the t/ files: RSA keys made with
# the openssl command, their JWKS, and RS256 tokens signed with them.
# Loaded with `require "./t/lib-jwt.pl"` after t/lib-okta.pl.

use strict;
use warnings;
use File::Temp qw(tempdir);
use JSON::PP ();
use MIME::Base64 qw(encode_base64);

our $JwtDir = tempdir(CLEANUP => 1);
our $Issuer = 'https://acme.okta.com/oauth2/aus1a2b3c4';
our $Audience = 'api://okta-telephony';
our $ClientId = '0oa1a2b3c4d5';
our $Scope = 'okta.telephony';

my $json = JSON::PP->new->canonical;

sub b64url {
    my $s = encode_base64($_[0], '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

sub run_openssl {
    my (@args) = @_;
    my $out = qx{openssl @args 2>&1};
    die "openssl @args: $out" if $?;
    return $out;
}

# make_key(KID, BITS): the key's PEM file and its JWK
sub make_key {
    my ($kid, $bits) = @_;
    my $pem = "$JwtDir/$kid.pem";
    run_openssl('genrsa', '-out', $pem, $bits || 2048) unless -f $pem;
    my $mod = run_openssl('rsa', '-in', $pem, '-noout', '-modulus');
    $mod =~ s/^Modulus=//;
    $mod =~ s/\s+//g;
    return { pem => $pem,
             jwk => { kty => 'RSA', use => 'sig', alg => 'RS256', kid => $kid,
                      e => 'AQAB', n => b64url(pack('H*', $mod)) } };
}

sub jwks {
    return $json->encode({ keys => [ map { $_->{jwk} } @_ ] });
}

# write_file(NAME, TEXT): a file in the temporary directory
sub write_file {
    my ($name, $text) = @_;
    open my $f, '>', "$JwtDir/$name" or die "$JwtDir/$name: $!";
    print $f $text;
    close $f;
    return "$JwtDir/$name";
}

# The claims of a good token; %over replaces (undef: removes) claims.
sub claims {
    my (%over) = @_;
    my $now = time();
    my %c = (ver => 1, jti => 'AT.' . int(rand(1e9)), iss => $Issuer,
             aud => $Audience, sub => $ClientId, cid => $ClientId,
             iat => $now - 10, exp => $now + 3600, scp => [ $Scope ]);
    for my $k (keys %over) {
        if (defined $over{$k}) { $c{$k} = $over{$k} } else { delete $c{$k} }
    }
    return \%c;
}

# token(KEY, CLAIMS [, HEADER]): a compact JWS signed RS256 with KEY
sub token {
    my ($key, $claims, $header) = @_;
    $header ||= { alg => 'RS256', kid => $key->{jwk}{kid} };
    my $input = b64url($json->encode($header)) . '.'
              . b64url($json->encode($claims));
    my $in = write_file('input', $input);
    my $sig = run_openssl('dgst', '-sha256', '-binary', '-sign', $key->{pem},
                          $in);
    return $input . '.' . b64url($sig);
}

1;
