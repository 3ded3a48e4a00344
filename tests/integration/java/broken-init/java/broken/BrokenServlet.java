package broken;

import javax.servlet.ServletException;
import javax.servlet.http.HttpServlet;

/** A servlet whose init throws, as one does that finds no database configured. */
public class BrokenServlet extends HttpServlet {
    @Override
    public void init() throws ServletException {
        throw new ServletException("guestbook_open_2012: no database configured");
    }
}
