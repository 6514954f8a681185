# Helpers for the t/stress/*.t scripts: an nginx of their own (own prefix,
# own ports, master + workers), a raw HTTP/1.1 client, a Perl "8x8" that
# misbehaves on purpose, and the checks of Okta's answer.
#
# Loaded with `require "$FindBin::Bin/lib-stress.pl"` after t/lib-okta.pl.
# Plain Perl with core modules only; everything lives in main.
# Everything listens on and connects to 127.0.0.1 only.

use strict;
use warnings;

use IO::Socket::INET;
use IO::Select;
use Socket qw(SOL_SOCKET SO_LINGER);
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use JSON::PP;
use File::Temp qw(tempdir);
use File::Path ();
use File::Copy ();
use Test::More;

our $NginxBinary = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
our $ParentPid   = $$;
our $Json        = JSON::PP->new->canonical;

# every process started here, by pid: stopped in stop_all()
our %Nginx;          # master pid => { prefix }
our @Servers;        # fake 8x8 pids
our %Children;       # other children (clients, watchers) still running
our @Prefixes;       # removed at the end unless a test failed or
                     # TEST_STRESS_KEEP is set

# The module's .so, or skip the whole file.
sub module_or_skip {
    my $m = $ENV{TEST_NGINX_LOAD_MODULES};
    if (!defined $m || $m eq '') {
        plan skip_all => 'TEST_NGINX_LOAD_MODULES is not set (path of '
            . 'ngx_http_okta_telephony_module.so; "./build.sh test" sets it)';
    }
    ($m) = grep { /okta_telephony/ } split ' ', $m;
    $m ||= (split ' ', $ENV{TEST_NGINX_LOAD_MODULES})[0];
    if (!-f $m) {
        plan tests => 1;
        fail("TEST_NGINX_LOAD_MODULES: $m does not exist");
        exit 1;
    }
    if (!-x $NginxBinary) {
        plan skip_all => "no nginx binary at $NginxBinary";
    }
    return $m;
}

# Ports: 40 blocks of 10 from $TEST_STRESS_PORT_BASE (28600) on.
# A test takes the first block whose last port it can bind (without
# SO_REUSEADDR, held until it exits: a lock between test runs that share
# the machine) and whose first $n ports are free. Returns the block's
# first port.
our $PortLock;
sub claim_ports {
    my ($n) = @_;
    my $start = $ENV{TEST_STRESS_PORT_BASE} || 28600;
    for my $base (map { $start + 10 * $_ } 0 .. 39) {
        my $lock = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                         LocalPort => $base + 9,
                                         Proto => 'tcp', ReuseAddr => 0)
            or next;
        my $free = 1;
        for my $port ($base .. $base + $n - 1) {
            my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                          LocalPort => $port, Proto => 'tcp',
                                          ReuseAddr => 1, Listen => 1);
            $free = 0, last unless $s;
            close $s;
        }
        if ($free) {
            $PortLock = $lock;
            return $base;
        }
    }
    die "no free block of 10 ports on 127.0.0.1 from $start (set "
      . "TEST_STRESS_PORT_BASE)\n";
}

sub listen_on {
    my ($port, $backlog) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                  Proto => 'tcp', ReuseAddr => 1,
                                  Listen => $backlog || 1024)
        or die "listen 127.0.0.1:$port: $!";
    return $s;
}

sub new_prefix {
    my ($name) = @_;
    my $dir = tempdir("okta-$name-XXXXXX", TMPDIR => 1, CLEANUP => 0);
    push @Prefixes, $dir;
    mkdir "$dir/$_" or die "$dir/$_: $!" for qw(conf logs html tmp);
    chmod 0755, $dir;
    return $dir;
}

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>:raw', "$path.new" or die "$path.new: $!";
    print $fh $text;
    close $fh or die "$path.new: $!";
    rename "$path.new", $path or die "rename $path: $!";
}

sub read_file {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return '';
    local $/;
    my $s = <$fh>;
    return defined $s ? $s : '';
}

# The module as this test's own file: `./build.sh` run by someone else
# meanwhile rewrites build/*.so in place, and every worker that has it
# mapped then dies on SIGSEGV, over and over.
sub private_module {
    my ($prefix, $module) = @_;
    my $copy = "$prefix/ngx_http_okta_telephony_module.so";
    return $copy if -f $copy;
    File::Copy::copy($module, "$copy.new") or die "copy $module: $!";
    rename "$copy.new", $copy or die "rename $copy: $!";
    return $copy;
}

# The main and events parts every test nginx has; $http is the inside of
# http {}.
sub nginx_conf {
    my (%o) = @_;
    my $p = $o{prefix};
    $o{module} = private_module($p, $o{module});
    my $user = $> == 0 ? "user root;\n" : '';
    # a binary upgrade (USR2) starts nginx again with only TZ and the
    # variables named by "env"; under t/sanitize/nginx-asan (which sets
    # them for nginx alone) the sanitizer runtime must come first there too.
    # A variable that is not set is not made up.
    my $env = join '', map { "env $_;\n" }
              qw(LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS);
    return <<"_EOC_";
# written by $0
${user}${env}load_module $o{module};
daemon off;
master_process on;
worker_processes $o{workers};
pid $p/logs/nginx.pid;
error_log $p/logs/error.log info;

events {
    worker_connections 1024;
}

http {
    access_log off;
    default_type application/octet-stream;
    server_tokens off;
    client_body_temp_path $p/tmp/client_body;
    proxy_temp_path       $p/tmp/proxy;
    fastcgi_temp_path     $p/tmp/fastcgi;
    uwsgi_temp_path       $p/tmp/uwsgi;
    scgi_temp_path        $p/tmp/scgi;

$o{http}
}
_EOC_
}

sub nginx_cmd {
    my ($prefix, @more) = @_;
    return ($NginxBinary, '-p', "$prefix/", '-c', "$prefix/conf/nginx.conf",
            '-e', "$prefix/logs/error.log", @more);
}

# Children of a pid whose command line says "worker process".
sub worker_pids {
    my ($master) = @_;
    my @w;
    opendir my $d, '/proc' or return ();
    for my $pid (grep { /^\d+$/ } readdir $d) {
        my $stat = read_file("/proc/$pid/stat");
        next unless $stat =~ /^\d+ \(.*\) (\S) (\d+)/s;
        next unless $2 == $master && $1 ne 'Z';
        my $cmd = read_file("/proc/$pid/cmdline");
        push @w, $pid + 0 if $cmd =~ /worker process/;
    }
    closedir $d;
    return sort { $a <=> $b } @w;
}

sub rss_kb {
    my ($pid) = @_;
    my $s = read_file("/proc/$pid/status");
    return $s =~ /^VmRSS:\s+(\d+)\s+kB/m ? $1 : undef;
}

# The sanitizer runtime loaded in a process, if any (its quarantine and
# shadow memory make RSS figures meaningless).
sub sanitizer_of {
    my ($pid) = @_;
    my $maps = read_file("/proc/$pid/maps");
    return $1 if $maps =~ m{/(lib[at]san|libhwasan|libmsan)[^/\s]*\.so};
    return undef;
}

sub alive {
    my ($pid) = @_;
    my $stat = read_file("/proc/$pid/stat");
    return $stat ne '' && $stat !~ /^\d+ \(.*\) Z/s;
}

# The server's hook location and the two internal 8x8 locations, for an
# upstream block named eightbyeight; $o{extra} goes into /hook.
sub hook_locations {
    my (%o) = @_;
    my $extra = $o{extra} // '';
    return <<"_EOC_" . <<'_EOC_';
        location = /hook {
            okta_telephony;
            okta_telephony_secret "$o{secret}";
            okta_telephony_voice_location /_8x8/voice;
            okta_telephony_sms_location /_8x8/sms;
            okta_telephony_caller_id +6512341234;
            okta_telephony_timeout 2500ms;
$extra        }

_EOC_
        location = /_8x8/voice {
            internal;
            proxy_pass http://eightbyeight/api/v1/subaccounts/acme/callflows;
            proxy_set_header Authorization "Bearer k3y";
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 5s;
        }

        location = /_8x8/sms {
            internal;
            proxy_pass http://eightbyeight/api/v1/subaccounts/acme/messages;
            proxy_set_header Authorization "Bearer k3y";
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 5s;
        }
_EOC_
}

# nginx -t on $prefix's nginx.conf, then nginx in a child, its output in
# logs/: returns the child's pid (the master's, with daemon off).
sub spawn_nginx {
    my ($prefix) = @_;
    my @cmd = nginx_cmd($prefix);
    system(@cmd, '-t', '-q') == 0
        or die "nginx -t failed:\n" . read_file("$prefix/logs/error.log");

    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$prefix/logs/stdout.log";
        open STDERR, '>>', "$prefix/logs/error.log";
        exec @cmd or POSIX::_exit(127);
    }
    return $pid;
}

# Starts nginx in the foreground of a child (daemon off): returns the
# master's pid once $port accepts connections and $workers workers run.
sub start_nginx {
    my (%o) = @_;
    my $prefix = $o{prefix};
    write_file("$prefix/conf/nginx.conf", $o{conf});

    my $pid = spawn_nginx($prefix);
    $Nginx{$pid} = { prefix => $prefix };

    my $deadline = time + 10;
    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $Nginx{$pid};
            die "nginx exited at start:\n" . read_file("$prefix/logs/error.log");
        }
        my @w = worker_pids($pid);
        my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $o{port}, Proto => 'tcp');
        if ($c && @w == $o{workers}) {
            close $c;
            return $pid;
        }
        sleep 0.05;
    }
    die "nginx did not start within 10 s:\n"
        . read_file("$prefix/logs/error.log");
}

# Stops a master and every worker it ever had (by pid).
sub stop_nginx {
    my ($master, @extra) = @_;
    my $info = delete $Nginx{$master} or return;
    my @workers = (worker_pids($master), @extra);
    kill 'QUIT', $master;
    my $deadline = time + 5;
    while (time < $deadline) {
        last if waitpid($master, WNOHANG) == $master;
        sleep 0.05;
    }
    if (alive($master)) {
        kill 'KILL', $master;
        waitpid($master, 0);
    }
    for my $w (@workers) {
        kill 'KILL', $w if alive($w);
    }
}

sub stop_all {
    my ($rc) = @_;
    return unless $$ == $ParentPid;
    stop_nginx($_) for keys %Nginx;
    for my $pid (@Servers, keys %Children) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    @Servers = ();
    %Children = ();
    my $passing = Test::More->builder->is_passing && !$rc;
    for my $dir (@Prefixes) {
        if ($passing && !$ENV{TEST_STRESS_KEEP}) {
            File::Path::remove_tree($dir);
        } else {
            Test::More::diag("kept $dir (nginx.conf, error.log)");
        }
    }
    @Prefixes = ();
}

# ------------------------------------------------------------ client --

sub hook_request_text {
    my ($path, $secret, $body, $host) = @_;
    return "POST $path HTTP/1.1\r\n"
         . "Host: " . ($host || 'okta-hook') . "\r\n"
         . "Authorization: $secret\r\n"
         . "Content-Type: application/json\r\n"
         . "Accept: application/json\r\n"
         . "User-Agent: Okta Inline Hook\r\n"
         . "Content-Length: " . length($body) . "\r\n"
         . "\r\n" . $body;
}

sub connect_hook {
    my ($port) = @_;
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                 Proto => 'tcp', Timeout => 5);
}

# Parses one response at the start of $$buf. Returns undef while it is
# incomplete, else a hash (status, headers, body, close); the response is
# removed from $$buf. A response without Content-Length is an error here:
# the module always sets it.
sub parse_response {
    my ($buf) = @_;
    my $end = index($$buf, "\r\n\r\n");
    return undef if $end < 0;
    my $head = substr($$buf, 0, $end);
    my ($line, @lines) = split /\r\n/, $head;
    my %h;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or return { error => "bad header line: $_" };
        $k = lc $k;
        $h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
    }
    my ($status) = $line =~ m{^HTTP/1\.[01] (\d{3})}
        or return { error => "bad status line: $line" };
    return { error => "no Content-Length (status $status)" }
        unless defined $h{'content-length'};
    my $len = $h{'content-length'};
    return undef if length($$buf) < $end + 4 + $len;
    my $body = substr($$buf, $end + 4, $len);
    substr($$buf, 0, $end + 4 + $len) = '';
    return { status => $status, headers => \%h, body => $body,
             close => (($h{connection} || '') =~ /close/i) ? 1 : 0 };
}

# Sends one request on $sock and reads its response by $deadline.
# Returns the parsed response, or { error => ... }.
sub roundtrip {
    my ($sock, $req, $deadline) = @_;
    my $off = 0;
    while ($off < length $req) {
        my $n = syswrite($sock, $req, length($req) - $off, $off);
        return { error => "write: $!" } unless defined $n;
        $off += $n;
    }
    my $buf = '';
    my $sel = IO::Select->new($sock);
    while (1) {
        my $left = $deadline - time;
        return { error => sprintf('no complete answer in time (got %d bytes)',
                                  length $buf) } if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($sock, $buf, 65536, length $buf);
        return { error => "read: $!" . (length $buf ? " after " . length($buf) . " bytes" : '') }
            unless defined $n;
        if ($n == 0) {
            my $r = parse_response(\$buf);
            return $r if $r && !$r->{error};
            return { error => 'connection closed after ' . length($buf)
                            . ' bytes without a complete answer' };
        }
        my $r = parse_response(\$buf);
        next unless $r;
        return $r if $r->{error};
        $r->{extra} = $buf if length $buf;
        return $r;
    }
}

# Sends a request without waiting for the answer.
sub send_all {
    my ($sock, $req) = @_;
    my $off = 0;
    while ($off < length $req) {
        my $n = syswrite($sock, $req, length($req) - $off, $off);
        return "write: $!" unless defined $n;
        $off += $n;
    }
    return undef;
}

# Reads one response on each of several sockets at once, by $deadline.
# Takes [ { sock => ... } ... ]; sets {res} (parsed response or
# { error }) and {at} (time it was complete) in each. With close => 1,
# closes each socket as soon as its response is complete.
sub collect_responses {
    my ($list, $deadline, %o) = @_;
    my $sel = IO::Select->new;
    my %by;
    for my $e (@$list) {
        $e->{buf} = '';
        $by{ fileno $e->{sock} } = $e;
        $sel->add($e->{sock});
    }
    while ($sel->count) {
        my $left = $deadline - time;
        last if $left <= 0;
        for my $fh ($sel->can_read($left)) {
            my $e = $by{ fileno $fh };
            my $n = sysread($fh, $e->{buf}, 65536, length $e->{buf});
            my $r = parse_response(\$e->{buf});
            if ($r || !$n) {
                $r ||= { error => (defined $n ? 'connection closed' : "read: $!")
                                  . ' after ' . length($e->{buf}) . ' bytes' };
                $r->{extra} = $e->{buf} if !$r->{error} && length $e->{buf};
                $e->{res} = $r;
                $e->{at} = time;
                $sel->remove($fh);
                close $fh if $o{close};
            }
        }
    }
    $_->{res} ||= { error => 'no complete answer in time' } for @$list;
}

# Checks an answer is Okta's action JSON. Returns (status, value hash) or
# (undef, reason).
sub okta_action_of {
    my ($r) = @_;
    return (undef, $r->{error}) if $r->{error};
    return (undef, "HTTP $r->{status}: $r->{body}") if $r->{status} != 200;
    my $ct = $r->{headers}{'content-type'} || '';
    return (undef, "Content-Type \"$ct\"")
        unless $ct =~ m{^application/json\s*(;.*)?$}i;
    return (undef, length($r->{extra}) . ' bytes after the answer')
        if defined $r->{extra};
    my $j = eval { $Json->decode($r->{body}) };
    return (undef, "body is not JSON ($@): $r->{body}") unless $j;
    return (undef, "not {commands:[...]}: $r->{body}")
        unless ref $j eq 'HASH' && ref $j->{commands} eq 'ARRAY'
               && @{ $j->{commands} } == 1 && keys(%$j) == 1;
    my $c = $j->{commands}[0];
    return (undef, "command type: $r->{body}")
        unless ref $c eq 'HASH'
               && ($c->{type} || '') eq 'com.okta.telephony.action';
    return (undef, "value is not one element: $r->{body}")
        unless ref $c->{value} eq 'ARRAY' && @{ $c->{value} } == 1
               && ref $c->{value}[0] eq 'HASH';
    my $v = $c->{value}[0];
    return (undef, "status: $r->{body}")
        unless defined $v->{status}
               && $v->{status} =~ /^(SUCCESSFUL|FAILED|PENDING)$/;
    return (undef, "provider: $r->{body}") unless ($v->{provider} || '') eq '8x8';
    return ($v->{status}, $v);
}

# --------------------------------------------------------- fake 8x8 --

# A Perl "8x8" in a child process, serving several listening sockets:
#   mid    reads the request, then fails mid-reply, cycling through:
#          partial body + FIN, partial body + RST, partial status line +
#          FIN, RST without a byte
#   hang   accepts, reads, never answers; closes when nginx does
#   delay  answers 8x8's JSON (CREATED / QUEUED by path) after {delay} s,
#          then closes; logs "recv=<t> sent=<t> <path>" lines to {log}
# Takes [ { sock, mode, delay, log } ... ]; returns the child's pid.
sub start_fake_8x8 {
    my (@listeners) = @_;
    my $parent = $$;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid) {
        push @Servers, $pid;
        close $_->{sock} for @listeners;
        return $pid;
    }

    $SIG{$_} = 'DEFAULT' for qw(INT TERM ALRM);
    $SIG{PIPE} = 'IGNORE';
    my $sel = IO::Select->new;
    my (%lis, %conn, @due);
    for my $l (@listeners) {
        $l->{sock}->blocking(0);
        $l->{n} = 0;
        $lis{ fileno $l->{sock} } = $l;
        $sel->add($l->{sock});
    }

    my $drop = sub {
        my ($c, $rst) = @_;
        return if $c->{closed}++;
        # SO_LINGER 0: close() sends RST instead of FIN
        setsockopt($c->{sock}, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)) if $rst;
        $sel->remove($c->{sock});
        delete $conn{ fileno $c->{sock} };
        close $c->{sock};
    };

    my $answer = sub {
        my ($c) = @_;
        my $l = $c->{l};
        my $voice = $c->{path} =~ /callflows/;
        if ($l->{mode} eq 'mid') {
            my $v = $l->{n}++ % 4;
            my $part = $voice ? '{"sessionId":"03cc8cac","sessionSta'
                              : '{"umid":"bda3d56d","status":{"co';
            my $head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     . "Content-Length: 200\r\n\r\n";
            syswrite $c->{sock}, $head . $part if $v <= 1;
            syswrite $c->{sock}, "HTTP/1.1 200 OK\r\nContent-Ty" if $v == 2;
            $drop->($c, $v == 1 || $v == 3);
        } elsif ($l->{mode} eq 'delay') {
            $c->{recv} = time;
            push @due, [ time + $l->{delay}, $c ];
        }
        # hang: nothing, ever
    };

    eval { while (1) {
        POSIX::_exit(0) if getppid() != $parent;
        my $now = time;
        @due = sort { $a->[0] <=> $b->[0] } @due;
        while (@due && $due[0][0] <= $now) {
            my (undef, $c) = @{ shift @due };
            next if $c->{closed};
            my $voice = $c->{path} =~ /callflows/;
            my $json = $voice ? $main::VoiceCreated : $main::SmsQueued;
            # logged first: the test reads the log once it has the answer
            if (open my $fh, '>>', $c->{l}{log}) {
                printf $fh "recv=%.3f sent=%.3f %s\n", $c->{recv}, time,
                    $c->{path};
                close $fh;
            }
            syswrite $c->{sock}, "HTTP/1.1 200 OK\r\n"
                . "Content-Type: application/json\r\n"
                . "Content-Length: " . length($json) . "\r\n"
                . "Connection: close\r\n\r\n" . $json;
            $drop->($c, 0);
        }
        my $wait = @due ? ($due[0][0] - time) : 0.2;
        $wait = 0.2 if $wait > 0.2;
        $wait = 0 if $wait < 0;
        for my $fh ($sel->can_read($wait)) {
            if (my $l = $lis{ fileno $fh }) {
                while (my $s = $fh->accept) {
                    $s->blocking(0);
                    $conn{ fileno $s } = { sock => $s, l => $l, buf => '' };
                    $sel->add($s);
                }
                next;
            }
            my $c = $conn{ fileno $fh } or next;
            my $n = sysread($fh, $c->{buf}, 65536, length $c->{buf});
            if (!$n) {
                $drop->($c, 0);
                next;
            }
            next if $c->{done};
            my $end = index($c->{buf}, "\r\n\r\n");
            next if $end < 0;
            my ($cl) = substr($c->{buf}, 0, $end) =~ /^content-length:\s*(\d+)/mi;
            next if length($c->{buf}) < $end + 4 + ($cl || 0);
            ($c->{path}) = $c->{buf} =~ m{^\w+ (\S+)};
            $c->{done} = 1;
            $c->{buf} = '';
            $answer->($c);
        }
    } };
    print STDERR "fake 8x8: $@" if $@;
    POSIX::_exit(1);
}

# ------------------------------------------------------------- logs --

# Lines of the error log that no test should ever see.
sub bad_log_lines {
    my ($log) = @_;
    return grep { /\[(alert|crit|emerg)\]|exited on signal|exited with code [1-9]/ }
           split /\n/, $log;
}

# Values that must not reach the log: OTPs (also as read out), full
# phone numbers, secrets, the 8x8 API key.
sub private_values {
    return ('482913', '731455', '118822', '4, 8, 2, 9, 1, 3',
            '7, 3, 1, 4, 5, 5', '1, 1, 8, 8, 2, 2',
            '6598765432', '14155550123', '447700900123', '33612345678',
            'ada@example.com', 'Lovelace', $main::Secret, $main::Secret2,
            'Bearer k3y');
}

1;
