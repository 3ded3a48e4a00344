# As the Dancer deployment guide told dotCloud users: the PSGI application is what bin/app.pl's
# dance() returns.
require 'bin/app.pl';
