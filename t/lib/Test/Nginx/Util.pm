package Test::Nginx::Util;

# Minimal re-implementation of the parts of openresty's Test::Nginx::Util
# (https://github.com/openresty/test-nginx) that this project uses.
# It is only put on @INC (prove -I t/lib) when the real module is absent.
# Semantics follow the real module; see t/README.md for known differences.

use strict;
use warnings;

our $VERSION = '0.29-lite';

use base 'Exporter';

use POSIX qw( SIGQUIT SIGKILL SIGTERM :sys_wait_h );
use File::Spec ();
use File::Path qw( make_path remove_tree );
use File::Temp qw( tempfile );
use List::Util qw( shuffle min );
use Time::HiRes qw( sleep );
use Scalar::Util qw( looks_like_number );
use IO::Socket::INET;
use IO::Socket::UNIX;
use Config ();
use Carp qw( croak );

our $HaveLongString = eval { require Test::LongString; 1 };

our $NoLongString;
our $FirstTime = 1;
our $Verbose = $ENV{TEST_NGINX_VERBOSE};
our $LatestNginxVersion = 0.008039;
our $NoNginxManager = $ENV{TEST_NGINX_NO_NGINX_MANAGER} || 0;
our $InSubprocess;
our $RepeatEach = 1;
our $LoadModules = $ENV{TEST_NGINX_LOAD_MODULES};
our $NoShuffle = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $UseValgrind = $ENV{TEST_NGINX_USE_VALGRIND};
our $EventType = $ENV{TEST_NGINX_EVENT_TYPE};
our $PostponeOutput = $ENV{TEST_NGINX_POSTPONE_OUTPUT};
our $Timeout = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $CheckAccumErrLog = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $ServerAddr = '127.0.0.1';
our $ServerName = 'localhost';
our $WorkerUser = $ENV{TEST_NGINX_WORKER_USER};
if (defined $WorkerUser && $WorkerUser !~ /^\w+(?:\s+\w+)?$/) {
    die "Bad value in the env TEST_NGINX_WORKER_USER: $WorkerUser\n";
}

# Not part of the real module: when set to a Perl regex, every valgrind
# error/leak record (see logs/valgrind.log) matching it fails the block.
our $ValgrindFailPattern = $ENV{TEST_NGINX_VALGRIND_FAIL};

our $PrevBlock;
our $ErrLogFilePos = 0;
our @CleanupHandlers;
our @BlockPreprocessors;
our $PrevConfig;
our $ConfigPreamble = '';

our $NginxBinary          = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $Workers              = 1;
our $WorkerConnections    = 64;
our $LogLevel             = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled        = 'on';
our $ServerPort           = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient  = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort || 1984;
# TEST_NGINX_RANDOMIZE (as in the real Test::Nginx): a random free server
# port and a server root of its own, so that `prove -jN` runs files at once
our $Randomize            = $ENV{TEST_NGINX_RANDOMIZE};
our $NoRootLocation       = 0;
our $TestNginxSleep       = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $ForceRestartOnTest   = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST}
                            ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;
srand $$;

our ($ChildPid, $TcpServerPid, @EnvToNginx);
our ($RunTestHelper, $CheckErrorLog, $CheckShutdownErrorLog);
our ($NginxVersion, $NginxRawVersion, $OpenSSLVersion);
our $FilterHttpConfig;

if ($UseValgrind) {
    $DaemonEnabled = 'off';
}

sub gen_rand_port (;$$);
sub bail_out (@);
if ($Randomize) {
    $ServerPort = gen_rand_port(1000)
        // bail_out("Cannot find an available listening port number.\n");
    $ServerPortForClient = $ServerPort;
}

our $ServRoot = $ENV{TEST_NGINX_SERVROOT} || File::Spec->rel2abs('t/servroot');
# the real Test::Nginx uses t/servroot_PORT; a TEST_NGINX_SERVROOT given
# gets the port appended likewise
$ServRoot .= "_$ServerPort" if $Randomize;
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = File::Spec->catfile($ServRoot, 'logs');
our $ErrLogFile = File::Spec->catfile($LogDir, 'error.log');
our $AccLogFile = File::Spec->catfile($LogDir, 'access.log');
our $HtmlDir    = File::Spec->catfile($ServRoot, 'html');
our $ConfDir    = File::Spec->catfile($ServRoot, 'conf');
our $ConfFile   = File::Spec->catfile($ConfDir, 'nginx.conf');
our $PidFile    = File::Spec->catfile($LogDir, 'nginx.pid');
our $ValgrindLogFile = File::Spec->catfile($LogDir, 'valgrind.log');

our @EXPORT = qw(
    env_to_nginx is_str check_accum_error_log is_running
    $NoLongString no_long_string $ServerAddr server_addr
    $ServerName server_name parse_time verbose sleep_time
    bail_out add_cleanup_handler access_log_data error_log_data
    setup_server_root write_config_file get_canon_version
    get_nginx_version trim show_all_chars parse_headers run_tests
    get_pid_from_pidfile $ServerPortForClient $ServerPort $NginxVersion
    $PidFile $ServRoot $ConfFile $RunTestHelper $CheckErrorLog
    $CheckShutdownErrorLog $FilterHttpConfig $NoNginxManager $RepeatEach
    add_block_preprocessor timeout worker_connections workers master_on
    master_off config_preamble repeat_each master_process_enabled
    log_level no_shuffle no_root_location html_dir server_root
    server_port server_port_for_client no_nginx_manager use_hup
);

# --- small helpers / configuration functions (same API as the real one) ---

sub is_running ($) {
    my $pid = shift;
    return 0 if !kill 0, $pid;
    # Not in the real module: a zombie (e.g. an exited nginx daemon that
    # the container's init has not reaped yet) is not running.
    if (open my $in, '<', "/proc/$pid/stat") {
        my $stat = <$in> // '';
        close $in;
        return 0 if $stat =~ /^\d+ \(.*\) Z/s;
    }
    return 1;
}

sub gen_rand_port (;$$) {
    my ($tries, $used_ports) = @_;
    $tries //= 1000;
    $used_ports //= {};
    for (my $i = 0; $i < $tries; $i++) {
        my $port = int(rand 63550) + 1985;
        next if $used_ports->{$port};
        my $sock = IO::Socket::INET->new(
            LocalAddr => $ServerAddr,
            LocalPort => $port,
            Proto     => 'tcp',
            Timeout   => 0.1,
        );
        if (defined $sock) {
            $sock->close();
            return $port;
        }
    }
    return undef;
}

sub no_long_string () { $NoLongString = 1; }

sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }
    if ($NoLongString || !$HaveLongString) {
        return Test::More::is($got, $expected, $desc);
    }
    return Test::LongString::is_string($got, $expected, $desc);
}

sub server_addr (@) { if (@_) { $ServerAddr = shift } else { return $ServerAddr } }
sub server_name (@) { if (@_) { $ServerName = shift } else { return $ServerName } }
sub timeout (@)     { if (@_) { $Timeout = shift } else { return $Timeout } }
sub no_shuffle ()   { $NoShuffle = 1; }
sub no_nginx_manager () { $NoNginxManager = 1; }
sub use_hup ()      { croak "use_hup() is not supported by this Test::Nginx subset"; }

sub env_to_nginx (@) {
    croak "env_to_nginx: no arguments specified" if !@_;
    for my $v (@_) {
        if ($v !~ /^[A-Za-z_]/ || $v =~ /\n/) {
            croak "env_to_nginx: bad argument value: $v\n";
        }
        push @EnvToNginx, $v;
    }
}

sub sleep_time { return $TestNginxSleep; }
sub verbose    { return $Verbose; }

sub server_port (@) { if (@_) { $ServerPort = shift } else { return $ServerPort } }
sub server_port_for_client (@) {
    if (@_) { $ServerPortForClient = shift } else { return $ServerPortForClient }
}

sub repeat_each (@) {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub worker_connections (@) {
    if (@_) { $WorkerConnections = shift } else { return $WorkerConnections }
}

sub no_root_location () { $NoRootLocation = 1; }
sub workers (@)   { if (@_) { $Workers = shift } else { return $Workers } }
sub log_level (@) { if (@_) { $LogLevel = shift } else { return $LogLevel } }
sub check_accum_error_log () { $CheckAccumErrLog = 1; }
sub master_on ()  { $MasterProcessEnabled = 'on'; }
sub master_off () { $MasterProcessEnabled = 'off'; }

sub master_process_enabled (@) {
    if (@_) {
        $MasterProcessEnabled = shift() ? 'on' : 'off';
    } else {
        return $MasterProcessEnabled;
    }
}

sub config_preamble ($) { $ConfigPreamble = shift; }
sub add_block_preprocessor(&) { unshift @BlockPreprocessors, shift; }
sub add_cleanup_handler ($) { unshift @CleanupHandlers, shift; }
sub html_dir ()    { return $HtmlDir; }
sub server_root () { return $ServRoot; }

sub parse_time ($) {
    my $tm = shift;
    if (defined $tm) {
        if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
            $tm = $tm / 1000;
        } elsif ($tm =~ s/([^_a-zA-Z])s$/$1/) {
            # seconds
        }
    }
    return $tm;
}

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(@_);
}

sub trim ($) {
    my $s = shift;
    return undef if !defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;
    $s;
}

sub show_all_chars ($) {
    my $s = shift;
    $s =~ s/\n/\\n/gs;
    $s =~ s/\r/\\r/gs;
    $s =~ s/\t/\\t/gs;
    $s;
}

sub parse_headers ($) {
    my $s = shift;
    my %headers;
    open my $in, '<', \$s;
    while (<$in>) {
        s/^\s+|\s+$//g;
        my $neg = ($_ =~ s/^!\s*//);
        if ($neg) {
            $headers{$_} = undef;
        } else {
            my ($key, $val) = split /\s*:\s*/, $_, 2;
            $headers{$key} = $val;
        }
    }
    close $in;
    return \%headers;
}

# --- process management ---

sub kill_process ($$$) {
    my ($pid, $wait, $name) = @_;

    if ($wait) {
        kill(SIGQUIT, $pid) if defined $pid;
        my $timeout_val = timeout();
        while ($timeout_val > 0 && is_running($pid)) {
            waitpid($pid, WNOHANG);
            sleep 0.05;
            $timeout_val -= 0.05;
        }
        if (is_running($pid)) {
            warn "$name - timeout when waiting for the process $pid to exit\n";
            if (getpgrp($pid) == $pid) {
                kill(SIGKILL, -$pid);
                sleep 0.05;
            } else {
                kill(SIGKILL, $pid);
                waitpid($pid, 0);
            }
        }
    }

    my $step = $TestNginxSleep;
    for (my $i = 1; $i <= 20; $i++) {
        waitpid($pid, WNOHANG);
        return if !is_running($pid);
        if (kill(SIGTERM, $pid) == 0) {
            warn "WARNING: failed to send term signal to the child process with PID $pid.\n";
        }
        $step *= 1.2;
        $step = 0.5 if $step > 0.5;
        sleep $step;
    }

    warn "$name - WARNING: killing the child process $pid with force...\n";
    if (getpgrp($pid) == $pid) {
        kill(SIGKILL, -$pid);
        sleep 0.05;
    } else {
        kill(SIGKILL, $pid);
    }
    waitpid($pid, WNOHANG);
}

sub cleanup () {
    for my $hdl (@CleanupHandlers) {
        $hdl->();
    }
    if (defined $TcpServerPid) {
        kill_process($TcpServerPid, 1, "cleanup");
        undef $TcpServerPid;
    }
    if (defined $ChildPid) {
        kill_process($ChildPid, 1, "cleanup");
        undef $ChildPid;
    }
}

sub get_pid_from_pidfile ($) {
    my ($name) = @_;
    open my $in, '<', $PidFile
        or bail_out("$name - Failed to open the pid file $PidFile for reading: $!");
    my $pid = do { local $/; <$in> };
    close $in;
    return undef if !defined $pid;
    chomp $pid;
    return $pid;
}

sub can_run {
    my ($cmd) = @_;
    if ($cmd =~ m{[/\\]}) {
        return (-f $cmd && -x $cmd) ? $cmd : undef;
    }
    for my $dir ((split /$Config::Config{path_sep}/, $ENV{PATH} // ''), '.') {
        next if $dir eq '';
        my $abs = File::Spec->catfile($dir, $cmd);
        return $abs if -f $abs && -x $abs;
    }
    return undef;
}

# Not in the real module: fall back to /usr/sbin/nginx when "nginx" is
# not in PATH (Debian puts it in /usr/sbin, often absent from PATH).
if (!$ENV{TEST_NGINX_BINARY} && !can_run($NginxBinary) && -x '/usr/sbin/nginx') {
    $NginxBinary = '/usr/sbin/nginx';
}

# --- log access ---

sub read_lines_from ($$) {
    my ($file, $pos_ref) = @_;
    open my $in, '<', $file or return undef;
    if (defined $pos_ref && $$pos_ref > 0) {
        seek $in, $$pos_ref, 0;
    }
    my @lines = <$in>;
    $$pos_ref = tell($in) if defined $pos_ref;
    close $in;
    return \@lines;
}

sub access_log_data () {
    sleep $TestNginxSleep * 3;
    open my $in, '<', $AccLogFile or die "open $AccLogFile failed: $!";
    my @lines = <$in>;
    close $in;
    return \@lines;
}

sub error_log_data () {
    # for logging in the log-phase which is after the server closes the connection
    sleep $TestNginxSleep * 3;
    if ($CheckAccumErrLog) {
        return read_lines_from($ErrLogFile, undef);
    }
    return read_lines_from($ErrLogFile, \$ErrLogFilePos);
}

sub check_prev_block_shutdown_error_log () {
    my $block = $PrevBlock;
    return if !defined $block;
    if (defined $block->shutdown_error_log && $CheckShutdownErrorLog) {
        $CheckShutdownErrorLog->($block, $ENV{TEST_NGINX_NO_CLEAN} ? 1 : 0);
    }
}

# --- server root and nginx.conf ---

sub setup_server_root ($) {
    my $first_time = shift;

    if (-d $ServRoot) {
        # only remove what we created, so a mis-set TEST_NGINX_SERVROOT
        # cannot wipe real data
        remove_tree($ConfDir, glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"));
        remove_tree($HtmlDir, $LogDir);
        rmdir $ServRoot or bail_out("Can't remove $ServRoot (not empty?): $!");
    }
    for my $dir ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        make_path($dir) if !-d $dir;
        -d $dir or bail_out("Failed to do mkdir $dir\n");
    }

    my $index_file = "$HtmlDir/index.html";
    open my $out, '>', $index_file
        or bail_out("Can't open $index_file for writing: $!\n");
    print $out '<html><head><title>It works!</title></head><body>It works!</body></html>';
    close $out;
}

sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return if !$files;

    if (!ref $files) {
        my $raw = $files;
        open my $in, '<', \$raw;
        $files = [];
        my ($fname, $body, $date);
        while (<$in>) {
            if (/>>> (\S+)(?:\s+(.+))?/) {
                push @$files, [$fname, $body, $date] if $fname;
                $fname = $1;
                $date = $2;
                undef $body;
            } else {
                $body .= $_;
            }
        }
        push @$files, [$fname, $body, $date] if $fname;

    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: ", ref $files,
                 ", only scalar or ARRAY are accepted");
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        $body //= '';
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        if ($path =~ /(.*)\//) {
            my $dir = $1;
            make_path($dir) if !-d $dir;
        }
        $body = expand_env_in_text($body, $name, $rand_ports);
        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;
        if ($date) {
            my $cmd = "TZ=GMT touch -t '$date' $HtmlDir/$fname";
            system($cmd) == 0 or bail_out("Failed to run shell command: $cmd\n");
        }
    }
}

sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;
    return undef if !defined $text;

    my $used_ports = { $ServerPort => 1, map { $_ => 1 } values %$rand_ports };

    $text =~ s/\$(TEST_NGINX_[_A-Z0-9]+)/
        my $var = $1;
        my $expanded;
        if ($var =~ m{^TEST_NGINX_RAND_PORT_[0-9]+$}) {
            if (!defined $rand_ports->{$var}) {
                my $port = gen_rand_port(1000, $used_ports);
                if (!defined $port) {
                    bail_out("$name - Cannot find an available listening port number for $var.\n");
                }
                $rand_ports->{$var} = $port;
                $used_ports->{$port} = 1;
            }
            $expanded = $rand_ports->{$var};
        } else {
            if (!defined $ENV{$var}) {
                bail_out("$name - No environment $var defined.\n");
            }
            $expanded = $ENV{$var};
        }
        $expanded;
    /eg;

    return $text;
}

sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;

    my $name = $block->name;
    my $http_config = $block->http_config;
    my $main_config = $block->main_config;
    my $post_main_config = $block->post_main_config;
    my $err_log_file = $block->error_log_file;
    my $server_name = $block->server_name;

    $http_config = expand_env_in_text($http_config, $name, $rand_ports);
    $config //= '';
    $http_config //= '';
    $http_config = $FilterHttpConfig->($http_config) if $FilterHttpConfig;

    my $postpone_output = $PostponeOutput;
    undef $postpone_output if $http_config =~ /\bpostpone_output\b/;

    my $extra_http_config = '';
    if (defined $postpone_output) {
        if ($postpone_output !~ /^\d+$/) {
            bail_out("Bad TEST_NGINX_POSTPONE_OUTPUT value: $postpone_output\n");
        }
        $extra_http_config .= "\n    postpone_output $postpone_output;\n";
    }

    # Not in the real module: keep nginx's temp dirs inside the server root.
    # The Debian nginx binary is built with absolute temp paths under
    # /var/lib/nginx; a default (prefix-relative) build would use exactly
    # these $ServRoot/*_temp directories.
    for my $t (qw(client_body proxy fastcgi uwsgi scgi)) {
        my $directive = "${t}_temp_path";
        next if $http_config =~ /\b\Q$directive\E\b/;
        $extra_http_config .= "    $directive $ServRoot/${t}_temp;\n";
    }

    $main_config //= '';
    if ($LoadModules) {
        my @modules = map { "load_module $_;" } grep { $_ } split /\s+/, $LoadModules;
        $main_config .= join " ", @modules if @modules;
    }
    $main_config = expand_env_in_text($main_config, $name, $rand_ports);

    $post_main_config //= '';
    $post_main_config = expand_env_in_text($post_main_config, $name, $rand_ports);

    $err_log_file ||= $ErrLogFile;
    $server_name //= $ServerName;

    open my $out, '>', $ConfFile
        or bail_out("Can't open $ConfFile for writing: $!\n");

    print $out <<_EOC_;
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $err_log_file $LogLevel;
pid       $PidFile;
env MOCKEAGAIN_VERBOSE;
env MOCKEAGAIN;
env MOCKEAGAIN_WRITE_TIMEOUT_PATTERN;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
env DYLD_INSERT_LIBRARIES;
env DYLD_FORCE_FLAT_NAMESPACE;
_EOC_

    for my $v (@EnvToNginx) {
        my $e = $v =~ /\s/ ? "'$v'" : $v;
        print $out "env $e;\n";
    }

    print $out <<_EOC_;
#env LUA_PATH;
#env LUA_CPATH;

$main_config

http {
    access_log $AccLogFile;
    #access_log off;

    default_type text/plain;
    keepalive_timeout  68;

$extra_http_config
$http_config

    server {
        listen          $ServerPort;
        server_name     '$server_name';

        client_max_body_size 30M;
        #client_body_buffer_size 4k;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

_EOC_

    if (!$NoRootLocation) {
        print $out <<_EOC_;
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_
    }

    print $out "    }\n";

    print $out <<_EOC_;
}

$post_main_config

#timer_resolution 100ms;

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
_EOC_

    print $out "    use $EventType;\n" if $EventType;
    print $out "}\n";

    print $out <<_EOC_;
env ASAN_OPTIONS;
env MOCKNOEAGAIN_VERBOSE;
env MOCKNOEAGAIN;
_EOC_

    if (defined $WorkerUser) {
        print $out "user $WorkerUser;\n";
    } elsif ($> == 0) {
        print $out "user root;\n";
    }

    close $out;
}

sub get_canon_version (@) {
    sprintf "%d.%03d%03d", $_[0], $_[1], $_[2];
}

sub get_canon_version_for_OpenSSL (@) {
    if (defined $_[3]) {
        return sprintf "%d.%03d%03d%03d", $_[0], $_[1], $_[2], ord($_[3]) - ord('a');
    }
    get_canon_version @_;
}

sub get_nginx_version () {
    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        $out //= "";
        bail_out("Failed to get the version of the Nginx in PATH: $out");
    }
    if ($out =~ m{built with OpenSSL (\d+)\.(\d+)\.(\d+)([a-z])?}s) {
        $OpenSSLVersion = get_canon_version_for_OpenSSL($1, $2, $3, $4);
    }
    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        return get_canon_version($1, $2, $3);
    }
    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

sub check_if_missing_directives () {
    open my $in, '<', $ErrLogFile or return 0;
    while (<$in>) {
        if (/\[emerg\] \S+?: unknown directive "([^"]+)"/) {
            close $in;
            return $1;
        }
    }
    close $in;
    return 0;
}

# --- main loop ---

sub run_tests () {
    $NginxVersion = get_nginx_version();

    if (!defined $ENV{TEST_NGINX_SERVER_PORT}) {
        $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
    }

    for my $block ($NoShuffle ? Test::Base::blocks() : shuffle Test::Base::blocks()) {
        for my $hdl (@BlockPreprocessors) {
            $hdl->($block);
        }
        $block->set_value("name", $0 . " " . $block->name);
        run_test($block);
        $PrevBlock = $block;
    }

    cleanup();
}

sub parse_skip_specs ($) {
    my ($block) = @_;
    my $name = $block->name;
    my ($tests_to_skip, $should_skip, $skip_reason);

    if (defined(my $skip_eval = $block->skip_eval)) {
        if ($skip_eval =~ m{^ \s* (\d+) \s* : \s* (.*)}xs) {
            $tests_to_skip = $1;
            $skip_reason = "skip_eval";
            my $code = $2;
            $should_skip = eval $code;
            if ($@) {
                bail_out("$name - skip_eval - failed to eval the Perl code \"$code\": $@");
            }
        }
    }

    if (defined(my $skip_nginx = $block->skip_nginx)) {
        if ($skip_nginx =~ m{^ \s* (\d+) \s* : \s* ([<>]=?) \s* (\d+)\.(\d+)\.(\d+)
                              (?: \s* : \s* (.*) )? \s*$}x)
        {
            $tests_to_skip = $1;
            my ($op, $ver) = ($2, get_canon_version($3, $4, $5));
            $skip_reason = $6 || "nginx version $op $3.$4.$5";
            if ((!defined $NginxVersion and $op =~ /^</)
                or eval "$NginxVersion $op $ver")
            {
                $should_skip = 1;
            }
        } else {
            bail_out("$name - Invalid --- skip_nginx spec: " . $skip_nginx);
        }
    }

    $skip_reason //= "various reasons";
    return ($tests_to_skip, $should_skip, $skip_reason);
}

sub start_nginx_daemon ($$$) {
    my ($block, $cmd, $must_die) = @_;
    my $name = $block->name;
    my $dry_run = 0;
    my $i = 0;
    my $waited = 0;
    $ErrLogFilePos = 0;

  RUN_AGAIN:
    system($cmd);
    my $status = $?;
    my ($exec_failed, $coredump, $exit_code);
    if ($status == -1) {
        $exec_failed = 1;
    } else {
        $exit_code = $status >> 8;
        $coredump = $status & 128;
    }

    if (defined $must_die) {
        if ($exec_failed) {
            Test::More::fail("$name - failed to execute the nginx command line");
        } elsif ($coredump) {
            Test::More::fail("$name - nginx core dumped");
        } elsif (looks_like_number($must_die)) {
            Test::More::is($must_die, $exit_code, "$name - die with the expected exit code");
        } else {
            Test::More::isnt($status, 0, "$name - die as expected");
        }

        $CheckErrorLog->($block, undef, $dry_run, $i, 0);

        if ($status == 0) {
            warn "WARNING: $name - nginx must die but it does not; killing it (req $i)\n";
            for (1 .. 15) {
                last if -f $PidFile;
                sleep $TestNginxSleep;
            }
            if (-f $PidFile) {
                my $pid = get_pid_from_pidfile($name);
                kill_process($pid, 1, $name) if $pid;
            }
        }

        goto RUN_AGAIN if ++$i < $RepeatEach;
        return 'died';
    }

    if ($status != 0) {
        if ($ENV{TEST_NGINX_IGNORE_MISSING_DIRECTIVES}
            and my $directive = check_if_missing_directives())
        {
            return "the lack of directive $directive";
        }
        $i++;
        my $delay = 0.1 * $i;
        $delay = 1 if $delay > 1;
        sleep $delay;
        $waited += $delay;
        goto RUN_AGAIN if $waited < 30;
        # not in the real module: show why nginx refused to start
        if (open my $in, '<', $ErrLogFile) {
            my @l = grep { /\[(?:emerg|alert|crit)\]/ } <$in>;
            close $in;
            Test::More::diag("nginx: $_") for @l[-min(5, scalar @l) .. -1];
        }
        bail_out("$name - Cannot start nginx using command \"$cmd\" (status code $status).");
    }

    return $dry_run;
}

sub run_test ($) {
    my $block = shift;

    return if defined $block->SKIP;

    my $name = $block->name;
    my $first_time;
    if ($FirstTime) {
        $first_time = 1;
        undef $FirstTime;
    }

    my $rand_ports = {};
    my $config = expand_env_in_text($block->config, $name, $rand_ports);

    my $dry_run = 0;
    my $should_restart = 1;

    local $LogLevel = $LogLevel;
    $LogLevel = $block->log_level if $block->log_level;

    my $must_die;
    local $UseValgrind = $UseValgrind;
    if (defined $block->must_die) {
        $must_die = $block->must_die;
        undef $UseValgrind;
    }

    if (!defined $config) {
        if (!$NoNginxManager && !defined $PrevConfig) {
            bail_out("$name - No '--- config' section specified and could not get previous one. Use TEST_NGINX_NO_NGINX_MANAGER ?");
        }
        if ($UseValgrind && !$NoNginxManager) {
            # Not in the real module (which leaves no server running here):
            # in valgrind mode nginx is stopped after every block, so start
            # it again with the previous block's config.
            $config = $PrevConfig;
            $should_restart = 1;
        } else {
            # the real module reuses the running nginx in this case
            $should_restart = 0;
        }
    } elsif ($NoNginxManager) {
        Test::More::diag("NO_NGINX_MANAGER activated: config for $name ignored");
        $should_restart = 0;
    } else {
        my $should_reconfig = (!defined $PrevConfig) || ($config ne $PrevConfig);
        $should_restart = ($should_reconfig || $ForceRestartOnTest) ? 1 : 0;
    }

    my ($tests_to_skip, $should_skip, $skip_reason) = parse_skip_specs($block);

    my ($todo_reason, $should_todo);
    if (defined(my $todo = $block->todo)) {
        if ($todo =~ m{^ \s* (\d+) \s* : \s* (.*)}xs) {
            $should_todo = 1;
            $tests_to_skip = $1;
            $todo_reason = $2;
        } else {
            bail_out("$name - Invalid --- todo spec: " . $todo);
        }
    }
    $todo_reason //= "various reasons";

    if (!$NoNginxManager && !$should_skip && $should_restart) {
        $PrevConfig = $config;

        if (-f $PidFile) {
            my $pid = get_pid_from_pidfile($name);
            if (defined $pid && $pid ne '' && is_running($pid)) {
                kill_process($pid, 1, $name);
            } else {
                unlink $PidFile;
            }
        }

        check_prev_block_shutdown_error_log();

        setup_server_root($first_time);
        write_user_files($block, $rand_ports);
        {
            local $DaemonEnabled = $DaemonEnabled;
            $DaemonEnabled = 'on' if defined $must_die;
            write_config_file($block, $config, $rand_ports);
        }

        if (!can_run($NginxBinary)) {
            bail_out("$name - Cannot find the nginx executable in the PATH environment");
        }
        $NginxVersion //= $LatestNginxVersion;

        # Not in the real module: nginx's own stderr (where the Debian
        # binary, built with --error-log-path=stderr, prints config-time
        # errors) is appended to the error log so that --- error_log and
        # the [emerg] checks see it.
        my $cmd = "$NginxBinary -p $ServRoot/ -c $ConfFile > /dev/null 2>> $ErrLogFile";

        if ($UseValgrind) {
            my $opts;
            if ($UseValgrind =~ /^\d+$/) {
                $opts = "--tool=memcheck --leak-check=full --show-possibly-lost=no";
                $opts .= " --suppressions=valgrind.suppress" if -f 'valgrind.suppress';
                $opts = "--num-callers=100 -q $opts --gen-suppressions=all";
            } else {
                $opts = "-q $UseValgrind";
            }
            $cmd = "valgrind $opts --log-file=$ValgrindLogFile $cmd";
            warn "$name\n";

            my $pid = fork();
            if (!defined $pid) {
                bail_out("$name - fork() failed: $!");
            } elsif ($pid == 0) {
                setpgrp;
                $InSubprocess = 1;
                Test::More->builder->no_ending(1);
                exec "exec $cmd" or POSIX::_exit(127);
            }
            $ChildPid = $pid;
            sleep $TestNginxSleep;

        } else {
            my $res = start_nginx_daemon($block, $cmd, $must_die);
            return if $res eq 'died';
            $dry_run = $res;
        }

        sleep $TestNginxSleep;
    }

    if ($block->init) {
        eval $block->init;
        bail_out("$name - init failed: $@") if $@;
    }

    my $i = 0;
    $ErrLogFilePos = 0;
    while ($i++ < $RepeatEach) {
        my ($tcp_socket, $tcp_query_file);
        if (defined $block->tcp_listen) {
            ($tcp_socket, $tcp_query_file)
                = start_tcp_server($block, $rand_ports);
        }

        if ($i > 1) {
            write_user_files($block, $rand_ports);
        }

        if ($should_skip && defined $tests_to_skip) {
            SKIP: {
                Test::More::skip("$name - $skip_reason", $tests_to_skip);
            }
        } elsif ($should_todo) {
            TODO: {
                Test::More::todo_skip("$name - $todo_reason", $tests_to_skip);
            }
        } else {
            $RunTestHelper->($block, $dry_run, $i - 1);
            run_tcp_server_tests($block, $tcp_socket, $tcp_query_file);
        }

        if (defined $tcp_socket) {
            if (defined $TcpServerPid) {
                kill_process($TcpServerPid, 1, $name);
                undef $TcpServerPid;
            }
            $tcp_socket->close();
            undef $tcp_socket;
        }
        unlink $tcp_query_file if defined $tcp_query_file;
    }

    if (my $total_errlog = $ENV{TEST_NGINX_ERROR_LOG}) {
        if (-s $ErrLogFile) {
            if (open my $out, '>>', $total_errlog) {
                print $out "\n=== $0 $name\n";
                if (open my $in, '<', $ErrLogFile) {
                    local $/;
                    print $out scalar <$in>;
                    close $in;
                }
                close $out;
            }
        }
    }

    if ($UseValgrind) {
        stop_valgrind_nginx($name);
        report_valgrind($name);
    }
}

# --- valgrind mode ---

sub stop_valgrind_nginx ($) {
    my ($name) = @_;
    my $pid = $ChildPid;
    if (-f $PidFile) {
        my $p = get_pid_from_pidfile($name);
        $pid = $p if $p;
    }
    return if !defined $pid;

    kill(SIGQUIT, $pid);
    # valgrind's leak check at exit can take a while
    my $left = 30;
    while ($left > 0 && is_running($pid)) {
        waitpid($pid, WNOHANG);
        sleep 0.05;
        $left -= 0.05;
    }
    if (is_running($pid)) {
        warn "$name - timeout when waiting for the process $pid to exit\n";
        kill(SIGKILL, -$pid);
        kill(SIGKILL, $pid);
        waitpid($pid, 0);
    }
    if (defined $ChildPid) {
        waitpid($ChildPid, WNOHANG);
        undef $ChildPid;
    }
    unlink $PidFile;
}

sub report_valgrind ($) {
    my ($name) = @_;
    open my $in, '<', $ValgrindLogFile or return;
    my $log = do { local $/; <$in> };
    close $in;
    return if !defined $log || $log !~ /\S/;

    warn "=== valgrind report for $name ($ValgrindLogFile):\n$log";

    if (my $total = $ENV{TEST_NGINX_VALGRIND_LOG}) {
        if (open my $out, '>>', $total) {
            print $out "\n=== $name\n$log";
            close $out;
        }
    }

    return if !$ValgrindFailPattern;

    # Drop --gen-suppressions blocks, group lines per process (master and
    # workers may share the file) and split into records at "==PID==" lines.
    (my $clean = $log) =~ s/^\{\n.*?^\}\n//msg;
    my (%by_pid, @pids);
    for my $line (split /\n/, $clean) {
        next if $line !~ /^==(\d+)==(.*)$/;
        push @pids, $1 if !$by_pid{$1};
        push @{ $by_pid{$1} }, $2;
    }
    for my $pid (@pids) {
        my @records = split /\n\s*\n/, join("\n", @{ $by_pid{$pid} }) . "\n";
        for my $rec (@records) {
            next if $rec !~ /\S/ || $rec !~ /$ValgrindFailPattern/;
            my ($first) = $rec =~ /^\s*(\S.*)$/m;
            Test::More::fail("$name - valgrind (pid $pid): $first");
        }
    }
}

# --- embedded TCP server (tcp_listen) ---

sub start_tcp_server ($$) {
    my ($block, $rand_ports) = @_;
    my $name = $block->name;
    my $target = expand_env_in_text($block->tcp_listen, $name, $rand_ports);

    my $reply = $block->tcp_reply;
    if (!defined $reply && !defined $block->tcp_shutdown) {
        bail_out("$name - no --- tcp_reply specified but --- tcp_listen is specified");
    }

    my $req_len = $block->tcp_query_len;
    my $tcp_query_file;
    if (defined $block->tcp_query || defined $req_len) {
        $req_len = length($block->tcp_query) if !defined $req_len;
        (my $fh, $tcp_query_file) = tempfile("tcpqueryXXXXXXXX", TMPDIR => 1);
        close $fh;
    }

    my ($tcp_socket, $err);
    for (my $i = 0; $i < 30; $i++) {
        if ($target =~ /^\d+$/) {
            $tcp_socket = IO::Socket::INET->new(
                LocalHost => '127.0.0.1',
                LocalPort => $target,
                Proto     => 'tcp',
                Reuse     => 1,
                Listen    => 5,
                Timeout   => timeout(),
            );
        } elsif ($target =~ m{\S+\.sock$}) {
            if (-e $target) {
                unlink $target or die "cannot remove $target: $!";
            }
            $tcp_socket = IO::Socket::UNIX->new(
                Local   => $target,
                Type    => SOCK_STREAM,
                Listen  => 5,
                Timeout => timeout(),
            );
        } else {
            bail_out("$name - bad tcp_listen target: $target");
        }

        last if $tcp_socket;

        $err = $!;
        if ($err =~ /address already in use/i) {
            warn "WARNING: failed to create the tcp listening socket: $err\n";
            sleep 1;
            next;
        }
        last;
    }

    if (!$tcp_socket) {
        bail_out("$name - failed to create the tcp listening socket: " . ($err // 'unknown error'));
    }

    my $pid = fork();
    if (!defined $pid) {
        bail_out("$name - fork() failed: $!");
    }

    if ($pid == 0) {
        # child: serve exactly one connection, as the real module does
        $InSubprocess = 1;
        Test::More->builder->no_ending(1);
        $SIG{QUIT} = $SIG{TERM} = sub { POSIX::_exit(0) };
        tcp_server_child($block, $tcp_socket, $reply, $req_len, $tcp_query_file);
        POSIX::_exit(0);
    }

    $TcpServerPid = $pid;
    return ($tcp_socket, $tcp_query_file);
}

sub tcp_server_child ($$$$$) {
    my ($block, $tcp_socket, $reply, $req_len, $tcp_query_file) = @_;
    my $name = $block->name;
    local $| = 1;

    my $client;
    while (1) {
        $client = $tcp_socket->accept();
        last if $client;
        warn "WARNING: $name - TCP server: failed to accept: $!\n";
        sleep $TestNginxSleep;
    }

    my ($no_read, $no_write);
    if (defined $block->tcp_shutdown) {
        my $shutdown = $block->tcp_shutdown;
        if ($block->tcp_shutdown_delay) {
            sleep parse_time($block->tcp_shutdown_delay);
        }
        $client->shutdown($shutdown);
        if ($shutdown == 0 || $shutdown == 2) {
            $no_read = 1;
        } else {
            $no_write = 1;
        }
    }

    my $buf;
    unless ($no_read) {
        while (1) {
            my $b;
            my $ret = $client->recv($b, 4096);
            if (!defined $ret) {
                die "failed to receive: $!\n";
            }
            $buf .= $b;

            # flush read data to the file as soon as possible
            if ($tcp_query_file) {
                open my $out, '>', $tcp_query_file
                    or die "cannot open $tcp_query_file for writing: $!\n";
                binmode $out;
                print $out $buf;
                close $out;
            }

            last if !$req_len || length($buf) >= $req_len;
            # Not in the real module (which spins here): stop on EOF.
            last if !length $b;
        }
    }

    my $delay = parse_time($block->tcp_reply_delay);
    sleep $delay if $delay;

    if (!$no_write && defined $reply) {
        if (ref $reply && ref $reply eq 'CODE') {
            $reply = $reply->($buf);
        }
        my @replies;
        if (ref $reply) {
            if (ref $reply ne 'ARRAY') {
                warn "$name - bad --- tcp_reply value\n";
                return;
            }
            @replies = @$reply;
        } else {
            @replies = ($reply);
        }
        for my $r (@replies) {
            my $bytes = $client->send($r);
            warn "WARNING: tcp server failed to send reply: $!\n" if !defined $bytes;
        }
    }

    if (defined $block->tcp_no_close) {
        sleep 1 while 1;
    }

    $client->close();
    $tcp_socket->close();
}

sub run_tcp_server_tests ($$$) {
    my ($block, $tcp_socket, $tcp_query_file) = @_;
    my $name = $block->name;
    return if !defined $tcp_socket;

    my $buf = '';
    if ($tcp_query_file && open my $in, '<', $tcp_query_file) {
        binmode $in;
        $buf = do { local $/; <$in> } // '';
        close $in;
    }

    if (defined $block->tcp_query) {
        is_str($buf, $block->tcp_query, "$name - tcp_query ok");
    }
    if (defined $block->tcp_query_len) {
        Test::More::is(length($buf), $block->tcp_query_len, "$name - TCP query length ok");
    }
}

# --- teardown ---

sub kill_nginx_from_pidfile () {
    return if !defined $PidFile || !-f $PidFile;
    my $pid = get_pid_from_pidfile('');
    return if !$pid;
    if (is_running($pid)) {
        kill_process($pid, 1, "END");
    } else {
        unlink $PidFile;
    }
}

# make Ctrl-C / prove timeouts run the END block below
for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} = sub {
        return if $InSubprocess;
        warn "Test::Nginx: caught SIG$sig, cleaning up\n";
        exit 1;
    };
}

END {
    return if $InSubprocess;
    local $?;    # do not confuse Test::Builder's exit code
    cleanup();
    if ($UseValgrind || !$ENV{TEST_NGINX_NO_CLEAN}) {
        kill_nginx_from_pidfile();
    }
    check_prev_block_shutdown_error_log();
    # a randomized server root is this run's own: remove it when the file
    # passed (kept for a look at its logs when it failed)
    if ($Randomize && $ServRoot =~ m{_\d+$} && -d $ServRoot
        && Test::More->builder->is_passing && !$ENV{TEST_NGINX_NO_CLEAN})
    {
        remove_tree($ServRoot);
    }
}

1;
