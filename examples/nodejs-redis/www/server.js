// An Express 3 application as written for dotCloud in 2012: sessions in the platform's Redis,
// every address and password read from /home/dotcloud/environment.json.
var fs = require('fs');
var express = require('express');
var RedisStore = require('connect-redis')(express);

var env = JSON.parse(fs.readFileSync('/home/dotcloud/environment.json', 'utf-8'));

var app = express();
app.use(express.logger());
app.use(express.cookieParser());
app.use(express.session({
  // The generated Redis password doubles as the cookie secret: nothing is written in the code.
  secret: env.DOTCLOUD_DATA_REDIS_PASSWORD,
  store: new RedisStore({
    host: env.DOTCLOUD_DATA_REDIS_HOST,
    port: parseInt(env.DOTCLOUD_DATA_REDIS_PORT, 10),
    pass: env.DOTCLOUD_DATA_REDIS_PASSWORD
  })
}));

app.get('/', function (req, res) {
  req.session.views = (req.session.views || 0) + 1;
  res.set('Content-Type', 'text/html; charset=utf-8');
  res.send('<!DOCTYPE html>\n<title>nodejs-redis</title>\n' +
    '<h1>Hello from ' + env.DOTCLOUD_SERVICE_NAME + '.' + env.DOTCLOUD_SERVICE_ID + '</h1>\n' +
    '<p>Node <span id="node">' + process.version + '</span>, Express ' + express.version + '</p>\n' +
    '<p>You have seen this page <span id="views">' + req.session.views + '</span> times.</p>\n');
});

var server = app.listen(8080, function () {
  console.error('listening on 8080 as ' + env.DOTCLOUD_SERVICE_NAME + '.' + env.DOTCLOUD_SERVICE_ID);
});

// A push stops the old version with SIGTERM: finish the requests in flight, then leave.
process.on('SIGTERM', function () {
  server.close(function () { process.exit(0); });
  setTimeout(function () { process.exit(0); }, 1000);  // idle keep-alive connections
});
