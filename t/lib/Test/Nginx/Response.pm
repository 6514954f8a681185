package Test::Nginx::Response;

# A tiny stand-in for the bits of HTTP::Response (libwww-perl) that
# Test::Nginx::Socket uses: parse(), code(), header(), content().
# Parsing mimics HTTP::Response->parse / HTTP::Message->parse, so that
# header values and bodies come out exactly as with the real module.

use strict;
use warnings;

sub new {
    my ($class, $code, $message, $headers, $content) = @_;
    my $self = bless {
        code     => $code,
        message  => $message,
        protocol => undef,
        headers  => [],
        content  => defined $content ? $content : '',
    }, $class;
    my @h = @{ $headers || [] };
    while (@h) {
        my ($k, $v) = splice @h, 0, 2;
        push @{ $self->{headers} }, [$k, $v];
    }
    return $self;
}

sub parse {
    my ($class, $str) = @_;

    my $status_line;
    if (defined $str && $str =~ s/^(.*)\n//) {
        $status_line = $1;
    } else {
        $status_line = $str;
        $str = '';
    }
    $status_line =~ s/\r\z// if defined $status_line;

    # HTTP::Message->parse
    my @hdr;
    while (1) {
        if ($str =~ s/^([^\s:]+)[ \t]*: ?(.*)\n?//) {
            push @hdr, [$1, $2];
            $hdr[-1][1] =~ s/\r\z//;
        } elsif (@hdr && $str =~ s/^([ \t].*)\n?//) {
            $hdr[-1][1] .= "\n$1";
            $hdr[-1][1] =~ s/\r\z//;
        } else {
            $str =~ s/^\r?\n//;
            last;
        }
    }

    my $self = bless {
        code => undef, message => undef, protocol => undef,
        headers => \@hdr, content => $str,
    }, $class;

    if (defined $status_line) {
        my ($protocol, $code, $message);
        if ($status_line =~ /^\d{3} /) {
            ($code, $message) = split(' ', $status_line, 2);
        } else {
            ($protocol, $code, $message) = split(' ', $status_line, 3);
        }
        $self->{protocol} = $protocol if $protocol;
        $self->{code} = $code if defined $code;
        $self->{message} = $message if defined $message;
    }

    return $self;
}

sub code {
    my $self = shift;
    $self->{code} = shift if @_;
    return $self->{code};
}

sub message  { $_[0]{message} }
sub protocol { $_[0]{protocol} }

sub content {
    my $self = shift;
    $self->{content} = shift if @_;
    return $self->{content};
}

# HTTP::Headers semantics: case-insensitive, "_" in the queried name means
# "-", multiple values are joined with ", " in scalar context.
sub header {
    my ($self, $name) = @_;
    (my $want = lc $name) =~ tr/_/-/;
    my @vals = map { $_->[1] } grep { lc($_->[0]) eq $want } @{ $self->{headers} };
    return @vals if wantarray;
    return undef if !@vals;
    return $vals[0] if @vals == 1;
    return join(', ', @vals);
}

1;
