package stats;

import java.io.IOException;

import javax.servlet.annotation.WebServlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/** A second WAR (a Servlet 3.0 annotation, no servlet in web.xml), served at /stats/. */
@WebServlet("/")
public class StatsServlet extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        response.setContentType("text/plain; charset=UTF-8");
        response.getWriter().println("stats at " + request.getContextPath() + "/ of "
                + getServletContext().getServletContextName());
    }
}
