#!/usr/bin/env perl
# Counts the guestbook's entries every two seconds, for the page to show.
use strict;
use warnings;
use DBI;
use JSON;

$| = 1;

sub environment {
    open my $fh, '<', '/home/dotcloud/environment.json' or die "environment.json: $!";
    local $/;
    my $env = decode_json(<$fh>);
    close $fh;
    return $env;
}

my $env = environment();
my $db;
while (1) {
    $db ||= DBI->connect(
        "DBI:mysql:host=$env->{DOTCLOUD_DB_MYSQL_HOST};port=$env->{DOTCLOUD_DB_MYSQL_PORT}",
        $env->{DOTCLOUD_DB_MYSQL_LOGIN}, $env->{DOTCLOUD_DB_MYSQL_PASSWORD},
        { RaiseError => 0, PrintError => 1 },
    );
    if ($db && $db->do('USE guestbook')) {
        my ($count) = $db->selectrow_array('SELECT COUNT(*) FROM entries');
        if (defined $count) {
            $db->do(q{REPLACE INTO counts (name, value) VALUES ('entries', ?)}, undef, $count);
            print "counted $count entries\n";
        }
    } else {
        undef $db unless $db && $db->ping;
    }
    sleep 2;
}
