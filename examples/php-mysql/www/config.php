<?php
// Where the database is: the platform writes it into environment.json, in our home.
function guestbook_environment() {
    $json = file_get_contents('/home/dotcloud/environment.json');
    return json_decode($json, true);
}

function guestbook_connect() {
    $env = guestbook_environment();
    $link = mysql_connect(
        $env['DOTCLOUD_DB_MYSQL_HOST'] . ':' . $env['DOTCLOUD_DB_MYSQL_PORT'],
        $env['DOTCLOUD_DB_MYSQL_LOGIN'],
        $env['DOTCLOUD_DB_MYSQL_PASSWORD']
    );
    if (!$link) {
        die('Could not connect: ' . mysql_error());
    }
    mysql_query('CREATE DATABASE IF NOT EXISTS guestbook');
    mysql_select_db('guestbook') or die('Could not select the database: ' . mysql_error());
    mysql_query('CREATE TABLE IF NOT EXISTS entries (
        id INT AUTO_INCREMENT PRIMARY KEY,
        author VARCHAR(64) NOT NULL,
        message TEXT NOT NULL,
        written_by VARCHAR(32) NOT NULL,
        created DATETIME NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8') or die('Could not create the table: ' . mysql_error());
    mysql_set_charset('utf8');
    return $link;
}
