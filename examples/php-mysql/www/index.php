<?php
require_once dirname(__FILE__) . '/config.php';

$env = guestbook_environment();
$instance = $env['DOTCLOUD_SERVICE_NAME'] . '.' . $env['DOTCLOUD_SERVICE_ID'];
guestbook_connect();

if ($_SERVER['REQUEST_METHOD'] == 'POST' && !empty($_POST['message'])) {
    $author = mysql_real_escape_string(empty($_POST['author']) ? 'anonymous' : $_POST['author']);
    $message = mysql_real_escape_string($_POST['message']);
    mysql_query("INSERT INTO entries (author, message, written_by, created)
                 VALUES ('$author', '$message', '$instance', NOW())")
        or die('Could not save the entry: ' . mysql_error());
    header('Location: /entries?saved=' . mysql_insert_id());
    exit;
}

$result = mysql_query('SELECT author, message, written_by FROM entries ORDER BY id DESC LIMIT 20');
$count = mysql_result(mysql_query('SELECT COUNT(*) FROM entries'), 0);
$stats = mysql_query("SELECT value FROM stats WHERE name = 'entries'");  // the counter's figure
$counted = $stats && mysql_num_rows($stats) ? mysql_result($stats, 0) : '-';
?>
<!DOCTYPE html>
<html>
<head><title>Guestbook</title></head>
<body>
<h1>Guestbook served by <?= $instance ?></h1>
<p>PHP <span id="php"><?= PHP_VERSION ?></span>, MySQL <span id="mysql"><?= mysql_get_server_info() ?></span>,
<span id="count"><?= $count ?></span> entries (the counter says <span id="counted"><?= $counted ?></span>).</p>
<form method="post" action="/">
  <input name="author" placeholder="your name">
  <input name="message" placeholder="your message">
  <button>Sign</button>
</form>
<ul id="entries">
<?php while ($row = mysql_fetch_assoc($result)): ?>
  <li><b><?= htmlspecialchars($row['author']) ?></b>: <?= htmlspecialchars($row['message']) ?>
      <small>(written by <?= $row['written_by'] ?>)</small></li>
<?php endwhile; ?>
</ul>
</body>
</html>
