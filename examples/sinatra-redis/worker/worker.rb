# Takes the jobs the page queues off Redis's list "jobs", and counts them.
require 'rubygems'
require 'bundler/setup'
require 'redis'
require 'json'

$stdout.sync = true
environment = JSON.parse(File.read('/home/dotcloud/environment.json'))
redis = Redis.new(
  :host => environment['DOTCLOUD_DATA_REDIS_HOST'],
  :port => environment['DOTCLOUD_DATA_REDIS_PORT'].to_i,
  :password => environment['DOTCLOUD_DATA_REDIS_PASSWORD']
)

puts "worker: waiting for jobs (RACK_ENV=#{ENV['RACK_ENV']})"
loop do
  _list, text = redis.blpop('jobs', 0)
  redis.set('jobs:last', text.upcase)
  done = redis.incr('jobs:done')
  puts "worker: job #{done}: #{text}"
end
