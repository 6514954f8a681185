#!/usr/bin/perl
# The fixtures' any_order (t/lib-okta.pl): the tcp_query pattern that takes
# the header lines of the request to 8x8 in any order must still refuse
# every other difference. No nginx needed.
use strict;
use warnings;
use Test::More;

BEGIN { require "./t/lib-okta.pl"; }

my $body = '{"destination":"+14155550123","text":"Code (731455) $1 \\E [x]"}';
my $req = ::eight_request('sms', $body);
my $re = ::any_order($req);
my ($head, $rest) = split /\r\n\r\n/, $req, 2;
my ($line, @h) = split /\r\n/, $head;

sub req_of {
    my ($l, $hs, $b) = @_;
    return join('', map { "$_\r\n" } $l, @$hs) . "\r\n" . $b;
}

like($req, $re, 'the text itself matches');
like(req_of($line, [ reverse @h ], $rest), $re, 'reversed header lines match');
like(req_of($line, [ @h[1, 0, 2 .. $#h] ], $rest), $re, 'Host first (1.31) matches');

unlike(req_of($line, [ @h[0 .. 2] ], $rest), $re, 'a missing header fails');
unlike(req_of($line, [ @h, 'Cookie: session=okta' ], $rest), $re,
       'an extra header fails');
unlike(req_of($line, [ 'X-Okta: 1', @h ], $rest), $re,
       'an extra header first fails');
unlike(req_of($line, [ @h[0 .. 2], $h[0] ], $rest), $re,
       'a header twice instead of another fails');
unlike(req_of($line, [ @h, $h[1] ], $rest), $re, 'a header twice fails');
unlike(req_of($line, [ map { lc } @h ], $rest), $re, 'other case fails');
(my $other = $line) =~ s/messages/callflows/;
unlike(req_of($other, \@h, $rest), $re, 'another request line fails');
unlike(req_of($line, \@h, "$rest "), $re, 'a longer body fails');
unlike(req_of($line, \@h, substr($rest, 1)), $re, 'a shorter body fails');
(my $b2 = $rest) =~ s/731455/731456/;
unlike(req_of($line, \@h, $b2), $re, 'another body fails');
unlike(req_of($line, [ @h, $rest ], ''), $re, 'the body among the headers fails');
unlike("x$req", $re, 'bytes before the request fail');
my @folded = @h;
$folded[0] .= "\r\n X";
unlike(req_of($line, \@folded, $rest), $re, 'a folded header line fails');
eval { ::any_order("GET / HTTP/1.1\r\nHost: x\r\n") };
like($@, qr/no end of header/, 'a text without the end of its header dies');

done_testing();
