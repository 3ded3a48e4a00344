package guestbook;

import java.io.IOException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import javax.servlet.ServletException;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/** The guestbook: its entries in PostgreSQL, written through any instance, read by all. */
public class GuestbookServlet extends HttpServlet {
    private static final String DATABASE = "guestbook";

    private Environment environment;

    @Override
    public void init() throws ServletException {
        try {
            Class.forName("org.postgresql.Driver");
            environment = Environment.read();
        } catch (Exception e) {
            throw new ServletException("cannot read the platform's environment", e);
        }
    }

    private Connection database() throws SQLException {
        Connection admin = environment.connect("template1");
        try {
            Statement statement = admin.createStatement();
            ResultSet found = statement.executeQuery(
                    "SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'");
            if (!found.next()) {
                try {
                    statement.executeUpdate("CREATE DATABASE " + DATABASE);
                } catch (SQLException raced) {
                    // The other instance created it first.
                }
            }
        } finally {
            admin.close();
        }
        Connection connection = environment.connect(DATABASE);
        connection.createStatement().executeUpdate(
                "CREATE TABLE IF NOT EXISTS entries (id SERIAL PRIMARY KEY,"
                + " author VARCHAR(64) NOT NULL, message TEXT NOT NULL,"
                + " written_by VARCHAR(32) NOT NULL, created TIMESTAMP DEFAULT now())");
        return connection;
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        request.setCharacterEncoding("UTF-8");
        try {
            Connection connection = database();
            try {
                PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO entries (author, message, written_by) VALUES (?, ?, ?)");
                insert.setString(1, request.getParameter("author"));
                insert.setString(2, request.getParameter("message"));
                insert.setString(3, environment.instance());
                insert.executeUpdate();
            } finally {
                connection.close();
            }
        } catch (SQLException e) {
            throw new ServletException(e);
        }
        response.sendRedirect(request.getContextPath() + "/");
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        response.setContentType("text/html; charset=UTF-8");
        PrintWriter out = response.getWriter();
        try {
            Connection connection = database();
            try {
                page(out, connection);
            } finally {
                connection.close();
            }
        } catch (SQLException e) {
            throw new ServletException(e);
        }
    }

    private void page(PrintWriter out, Connection connection) throws SQLException {
        Statement statement = connection.createStatement();
        ResultSet count = statement.executeQuery("SELECT count(*) FROM entries");
        count.next();
        out.println("<!DOCTYPE html>\n<html><head><title>Guestbook</title></head><body>");
        out.println("<h1>Guestbook served by " + environment.instance() + "</h1>");
        out.println("<p>Java <span id=\"java\">" + System.getProperty("java.version")
                + "</span> on <span id=\"server\">" + getServletContext().getServerInfo()
                + "</span>, PostgreSQL <span id=\"postgresql\">"
                + connection.getMetaData().getDatabaseProductVersion()
                + "</span>, heap at most <span id=\"heap\">"
                + Runtime.getRuntime().maxMemory() / (1024 * 1024) + "</span> MB</p>");
        out.println("<p><span id=\"count\">" + count.getLong(1) + "</span> entries</p>");
        out.println("<form method=\"post\" action=\"\"><input name=\"author\">"
                + " <input name=\"message\"> <button>Sign</button></form><ul>");
        ResultSet rows = statement.executeQuery(
                "SELECT author, message, written_by FROM entries ORDER BY id DESC LIMIT 20");
        while (rows.next()) {
            out.println("<li><b>" + escape(rows.getString(1)) + "</b>: "
                    + escape(rows.getString(2)) + " <small>(written by "
                    + escape(rows.getString(3)) + ")</small></li>");
        }
        out.println("</ul></body></html>");
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\"", "&quot;").replace("'", "&#039;");
    }
}
