# A hit counter and a job queue in the platform's Redis, the way Sinatra apps of 2012 were
# written: classic style, the service's credentials read from environment.json.
require 'sinatra'
require 'redis'
require 'json'

ENVIRONMENT = JSON.parse(File.read('/home/dotcloud/environment.json'))

configure do
  set :redis, Redis.new(
    :host => ENVIRONMENT['DOTCLOUD_DATA_REDIS_HOST'],
    :port => ENVIRONMENT['DOTCLOUD_DATA_REDIS_PORT'].to_i,
    :password => ENVIRONMENT['DOTCLOUD_DATA_REDIS_PASSWORD']
  )
end

helpers do
  def redis
    settings.redis
  end
end

get '/' do
  @hits = redis.incr('hits')
  @done = redis.get('jobs:done').to_i
  @last = redis.get('jobs:last')
  @instance = ENVIRONMENT['DOTCLOUD_SERVICE_ID']
  erb :index
end

# Queues a job for the worker: GET /job?text=hello
get '/job' do
  text = params[:text].to_s
  halt 400, "give me a text\n" if text.empty?
  redis.rpush('jobs', text)
  "queued #{text}\n"
end

get '/env' do
  content_type 'text/plain'
  "RACK_ENV=#{ENV['RACK_ENV']}\n"
end
