#!/usr/bin/env perl
use Dancer;
use guestbook;
dance;
