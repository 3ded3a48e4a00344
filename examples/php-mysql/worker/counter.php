<?php
// The guestbook's counter, a daemon of the kind 2012 applications ran beside their pages: every
// two seconds it counts the entries and writes the figure where the page shows it.
$env = json_decode(file_get_contents('/home/dotcloud/environment.json'), true);
$link = mysql_connect(
    $env['DOTCLOUD_DB_MYSQL_HOST'] . ':' . $env['DOTCLOUD_DB_MYSQL_PORT'],
    $env['DOTCLOUD_DB_MYSQL_LOGIN'],
    $env['DOTCLOUD_DB_MYSQL_PASSWORD']
) or die('Could not connect: ' . mysql_error() . "\n");
mysql_query('CREATE DATABASE IF NOT EXISTS guestbook');
mysql_select_db('guestbook') or die('Could not select the database: ' . mysql_error() . "\n");
mysql_query('CREATE TABLE IF NOT EXISTS stats (
    name VARCHAR(32) PRIMARY KEY,
    value INT NOT NULL,
    counted DATETIME NOT NULL
) ENGINE=InnoDB') or die('Could not create the table: ' . mysql_error() . "\n");
echo "counter started on PHP " . PHP_VERSION . "\n";

while (true) {
    $result = mysql_query('SELECT COUNT(*) FROM entries');  // false until the page made the table
    $count = $result ? (int) mysql_result($result, 0) : 0;
    mysql_query("REPLACE INTO stats (name, value, counted) VALUES ('entries', $count, NOW())")
        or die('Could not save the count: ' . mysql_error() . "\n");
    sleep(2);
}
