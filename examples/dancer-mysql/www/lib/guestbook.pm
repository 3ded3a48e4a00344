package guestbook;
use Dancer ':syntax';
use DBI;
use JSON;

our $VERSION = '0.1';

# Where the database is: the platform writes it into environment.json, in our home.
sub environment {
    open my $fh, '<', '/home/dotcloud/environment.json' or die "environment.json: $!";
    local $/;
    my $env = decode_json(<$fh>);
    close $fh;
    return $env;
}

sub database {
    my $env = environment();
    my $server = DBI->connect(
        "DBI:mysql:host=$env->{DOTCLOUD_DB_MYSQL_HOST};port=$env->{DOTCLOUD_DB_MYSQL_PORT}",
        $env->{DOTCLOUD_DB_MYSQL_LOGIN}, $env->{DOTCLOUD_DB_MYSQL_PASSWORD},
        { RaiseError => 1, PrintError => 0, mysql_enable_utf8 => 1 },
    );
    $server->do('CREATE DATABASE IF NOT EXISTS guestbook');
    $server->do('USE guestbook');
    $server->do(q{CREATE TABLE IF NOT EXISTS entries (
        id INT AUTO_INCREMENT PRIMARY KEY,
        author VARCHAR(64) NOT NULL,
        message TEXT NOT NULL,
        written_by VARCHAR(32) NOT NULL,
        created DATETIME NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8});
    $server->do(q{CREATE TABLE IF NOT EXISTS counts (
        name VARCHAR(32) PRIMARY KEY,
        value INT NOT NULL
    ) ENGINE=InnoDB});
    return $server;
}

sub escape {
    my $text = shift;
    $text =~ s/&/&amp;/g;
    $text =~ s/</&lt;/g;
    $text =~ s/>/&gt;/g;
    $text =~ s/"/&quot;/g;
    return $text;
}

# Which instance answered (www.0, www.1...).
sub instance {
    my $env = environment();
    return "$env->{DOTCLOUD_SERVICE_NAME}.$env->{DOTCLOUD_SERVICE_ID}";
}

get '/' => sub {
    my $db = database();
    my $entries = $db->selectall_arrayref(
        'SELECT author, message, written_by FROM entries ORDER BY id DESC LIMIT 20',
        { Slice => {} },
    );
    my ($counted) = $db->selectrow_array("SELECT value FROM counts WHERE name = 'entries'");
    my ($version) = $db->selectrow_array('SELECT VERSION()');
    $db->disconnect;
    my $items = join '', map {
        '<li>' . escape($_->{message}) . ' <span class="by">' . escape($_->{author})
          . ' (' . escape($_->{written_by}) . ')</span></li>'
    } @$entries;
    my $count = defined $counted ? $counted : 'not yet';
    header 'X-Served-By' => instance();
    return <<"HTML";
<!DOCTYPE html>
<html><head><title>Guestbook</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body>
<h1>Guestbook served by ${\ instance()}</h1>
<p>Dancer <span id="dancer">$Dancer::VERSION</span> on Perl <span id="perl">$^V</span>,
MySQL <span id="mysql">$version</span>. Entries: <span id="entries-count">${\ scalar @$entries}</span>;
counted by the worker: <span id="count">$count</span></p>
<form method="post" action="/sign">
<input name="author" placeholder="Your name"> <input name="message" placeholder="Your message">
<button>Sign</button></form>
<ul id="entries">$items</ul>
</body></html>
HTML
};

post '/sign' => sub {
    my $author  = params->{author}  || 'anonymous';
    my $message = params->{message} || '';
    return send_error('A message, please', 400) unless length $message;
    my $db = database();
    $db->do('INSERT INTO entries (author, message, written_by, created) VALUES (?, ?, ?, NOW())',
        undef, $author, $message, instance());
    $db->disconnect;
    redirect '/';
};

true;
