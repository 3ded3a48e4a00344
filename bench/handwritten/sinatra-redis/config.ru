# The baseline's own rackup file: Debian's gems without Bundler (the example's Gemfile asks for
# Sinatra 1.3 and redis 3.0, which Debian does not have).
require 'sinatra'
require './app'
run Sinatra::Application
