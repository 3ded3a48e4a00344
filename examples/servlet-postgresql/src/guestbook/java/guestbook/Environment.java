package guestbook;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;

import org.json.simple.JSONValue;

/** What the platform tells the application, from /home/dotcloud/environment.json. */
public final class Environment {
    private static final String FILE = "/home/dotcloud/environment.json";

    private final Map<?, ?> values;

    private Environment(Map<?, ?> values) {
        this.values = values;
    }

    public static Environment read() throws IOException {
        Reader reader = new InputStreamReader(new FileInputStream(FILE), "UTF-8");
        try {
            return new Environment((Map<?, ?>) JSONValue.parse(reader));
        } finally {
            reader.close();
        }
    }

    public String get(String name) {
        Object value = values.get(name);
        return value == null ? "" : value.toString();
    }

    /** This instance's name as the platform's dashboard showed it: www.0, www.1. */
    public String instance() {
        return get("DOTCLOUD_SERVICE_NAME") + "." + get("DOTCLOUD_SERVICE_ID");
    }

    /** A connection to the platform's PostgreSQL (the db service), to the named database. */
    public Connection connect(String database) throws SQLException {
        String url = "jdbc:postgresql://" + get("DOTCLOUD_DB_SQL_HOST") + ":"
                + get("DOTCLOUD_DB_SQL_PORT") + "/" + database;
        return DriverManager.getConnection(
                url, get("DOTCLOUD_DB_SQL_LOGIN"), get("DOTCLOUD_DB_SQL_PASSWORD"));
    }
}
