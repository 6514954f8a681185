# conf/prometheus/okta-telephony-alerts.yml: valid for Prometheus
# (promtool check rules), firing as its tests say (promtool test rules),
# and every series it selects is one the module's /metrics shows.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

our $Dir = 'conf/prometheus';
our ($Promtool) = grep { -x } map({ "$_/promtool" } split(/:/, $ENV{PATH} // '')),
                                  '/usr/bin/promtool';

# promtool is a dependency (./build.sh installs Debian's "prometheus"):
# without it these checks fail rather than pass unseen
ok($Promtool, 'promtool is installed');
SKIP: {
    skip 'no promtool', 2 unless $Promtool;
    my $out = `cd $Dir && '$Promtool' check rules okta-telephony-alerts.yml 2>&1`;
    is($? >> 8, 0, "promtool check rules: $out");
    $out = `cd $Dir && '$Promtool' test rules okta-telephony-alerts.test.yml 2>&1`;
    is($? >> 8, 0, "promtool test rules: $out");
}

# The selectors of the rules: metric{label=~"a|b"} -> every name=value pair.
sub selectors {
    open my $fh, '<', "$Dir/okta-telephony-alerts.yml" or die $!;
    my $rules = do { local $/; <$fh> };
    # the expressions only: from "expr:" to the rule's next key
    my $exprs = join "\n", $rules =~ /^\s+expr:(.*?)^\s+for:/msg;
    my @want;
    while ($exprs =~ /\b(okta_telephony_\w+)(?:\{([^}]*)\})?/g) {
        my ($name, $labels) = ($1, $2 // '');
        $name =~ s/_bucket$//;
        push @want, "metric $name";
        while ($labels =~ /(\w+)=~?"([^"]*)"/g) {
            my $l = $1;
            push @want, "$name $l=$_" for split /\|/, $2;
        }
    }
    my %seen;
    return grep { !$seen{$_}++ } @want;
}

# What a scrape offers: the families and every name=value pair shown.
sub missing {
    my ($body) = @_;
    my %have;
    for my $line (split /\n/, $body) {
        if ($line =~ /^# TYPE (\S+)/) {
            $have{"metric $1"} = 1;
            next;
        }
        my ($name, $labels) = $line =~ /^(\w+?)(?:_bucket|_sum|_count)?\{([^}]*)\}/
            or next;
        $have{"$name $1=$2"} = 1 while $labels =~ /(\w+)="([^"]*)"/g;
        (my $base = $line) =~ s/^(\w+)\{.*/$1/;
        $have{"$base $1=$2"} = 1 while $labels =~ /(\w+)="([^"]*)"/g;
    }
    my @miss = grep { !$have{$_} } selectors();
    return @miss ? join('', map { "missing: $_\n" } @miss) : "all there\n";
}

no_shuffle();
run_tests();

__DATA__

=== TEST 1: every series the alert rules select is in the module's output
--- http_config
    okta_telephony_zone okta 1m;
    okta_telephony_metrics_zone okta;
--- config
    location = /metrics { okta_telephony_metrics okta; }
--- request
GET /metrics
--- response_body_filters eval: \&::missing
--- response_body
all there
