package dev.beckon.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.function.DoubleFunction;

/**
 * A small line chart as SVG: one or more series over shared axes, either of which may be
 * logarithmic, ticks on the x values the series have, a legend. Enough for the benchmark report,
 * without a plotting dependency.
 */
final class SvgLineChart {
    /** A measured point; {@code atLeast}: the measurement was stopped, the value is a lower bound. */
    record Point(double x, double y, boolean atLeast) {
        static Point of(double x, double y) {
            return new Point(x, y, false);
        }
    }

    record Series(String name, List<Point> points, boolean dashed) {}

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    private static final int WIDTH = 720;
    private static final int LEFT = 80;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    /** The plot's lower edge; the axis label and the legend (two columns, under the plot, clear of the lines) follow. */
    private static final int PLOT_BOTTOM = 360;
    private static final int LEGEND_TOP = PLOT_BOTTOM + 64;
    private static final int LEGEND_ROW = 18;

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final boolean logX;
    private final boolean logY;
    private final DoubleFunction<String> xFormat;
    private final DoubleFunction<String> yFormat;
    private final List<Series> series = new ArrayList<>();

    SvgLineChart(String title, String xLabel, String yLabel, boolean logX, boolean logY, DoubleFunction<String> xFormat,
            DoubleFunction<String> yFormat) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logX = logX;
        this.logY = logY;
        this.xFormat = xFormat;
        this.yFormat = yFormat;
    }

    SvgLineChart add(String name, List<Point> points, boolean dashed) {
        if (!points.isEmpty()) {
            series.add(new Series(name, List.copyOf(points), dashed));
        }
        return this;
    }

    String render() {
        TreeSet<Double> xs = new TreeSet<>();
        double yMin = Double.MAX_VALUE;
        double yMax = -Double.MAX_VALUE;
        for (Series s : series) {
            for (Point p : s.points()) {
                xs.add(p.x());
                yMin = Math.min(yMin, p.y());
                yMax = Math.max(yMax, p.y());
            }
        }
        if (xs.isEmpty()) {
            throw new IllegalStateException("a chart needs at least one point: " + title);
        }
        double xLow = xs.first();
        double xHigh = xs.last() == xs.first() ? xs.first() * 2 : xs.last();
        List<Double> yTicks = logY ? logTicks(yMin, yMax) : linearTicks(0, yMax);
        double yLow = yTicks.get(0);
        double yHigh = yTicks.get(yTicks.size() - 1);
        Scale x = new Scale(xLow, xHigh, LEFT + 20, WIDTH - RIGHT - 20, logX);
        Scale y = new Scale(yLow, yHigh, PLOT_BOTTOM, TOP, logY);
        boolean anyStopped = series.stream().anyMatch(s -> s.points().stream().anyMatch(Point::atLeast));
        int legendEntries = series.size() + (anyStopped ? 1 : 0);
        int legendRows = (legendEntries + 1) / 2;
        int height = LEGEND_TOP + legendRows * LEGEND_ROW + 8;

        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, height, WIDTH, height));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">%s</text>%n",
                WIDTH / 2, escape(title)));
        for (double tick : yTicks) {
            double py = y.at(tick);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>%n", LEFT, py,
                    WIDTH - RIGHT, py));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, py + 4,
                    escape(yFormat.apply(tick))));
        }
        for (double tick : xs) {
            double px = x.at(tick);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e0e0e0\"/>%n", px, TOP, px,
                    PLOT_BOTTOM));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, PLOT_BOTTOM + 18,
                    escape(xFormat.apply(tick))));
        }
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", LEFT, PLOT_BOTTOM,
                WIDTH - RIGHT, PLOT_BOTTOM));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", LEFT, TOP, LEFT,
                PLOT_BOTTOM));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", (LEFT + WIDTH - RIGHT) / 2,
                PLOT_BOTTOM + 40, escape(xLabel + (logX ? " (log scale)" : ""))));
        svg.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">%s</text>%n",
                (TOP + PLOT_BOTTOM) / 2, (TOP + PLOT_BOTTOM) / 2, escape(yLabel + (logY ? " (log scale)" : ""))));

        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            String colour = COLOURS[i % COLOURS.length];
            StringBuilder path = new StringBuilder();
            for (Point p : s.points()) {
                path.append(path.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x.at(p.x()), y.at(p.y())));
            }
            svg.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>%n", path, colour,
                    s.dashed() ? " stroke-dasharray=\"6 4\"" : ""));
            for (Point p : s.points()) {
                double px = x.at(p.x());
                double py = y.at(p.y());
                if (p.atLeast()) {
                    // An upward triangle: the measurement was stopped here, the real value is higher.
                    svg.append(String.format(Locale.ROOT, "<path d=\"M%.1f %.1f L%.1f %.1f L%.1f %.1f Z\" fill=\"%s\"><title>%s: at least %s</title></path>%n",
                            px, py - 8, px - 6, py + 4, px + 6, py + 4, colour, escape(s.name()), escape(yFormat.apply(p.y()))));
                } else if (!s.dashed()) {
                    svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s: %s at %s</title></circle>%n",
                            px, py, colour, escape(s.name()), escape(yFormat.apply(p.y())), escape(xFormat.apply(p.x()))));
                }
            }
            int legendX = i % 2 == 0 ? 20 : WIDTH / 2 + 10;
            int legendY = LEGEND_TOP + (i / 2) * LEGEND_ROW;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
                    legendX, legendY, legendX + 24, legendY, colour, s.dashed() ? " stroke-dasharray=\"6 4\"" : ""));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", legendX + 30, legendY + 4, escape(s.name())));
        }
        if (anyStopped) {
            int slot = series.size();
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#555\">▲ stopped at the time limit: at least this</text>%n",
                    (slot % 2 == 0 ? 20 : WIDTH / 2 + 10) + 8, LEGEND_TOP + (slot / 2) * LEGEND_ROW + 4));
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** Maps a value onto pixels between {@code from} and {@code to}. */
    private record Scale(double low, double high, double from, double to, boolean log) {
        double at(double value) {
            double share = log ? (Math.log10(value) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))
                    : (value - low) / (high - low);
            return from + share * (to - from);
        }
    }

    /** 1-2-5 steps per decade, from the decade step below the smallest value to the one above the largest. */
    static List<Double> logTicks(double min, double max) {
        double[] steps = {1, 2, 5};
        double decade = Math.pow(10, Math.floor(Math.log10(min)));
        List<Double> ticks = new ArrayList<>();
        outer:
        while (true) {
            for (double step : steps) {
                double tick = decade * step;
                if (tick * 2.5 < min && ticks.isEmpty()) {
                    continue;
                }
                ticks.add(tick);
                if (tick >= max) {
                    break outer;
                }
            }
            decade *= 10;
        }
        if (ticks.size() > 12) {
            // Many decades: keep the powers of ten only.
            List<Double> powers = new ArrayList<>();
            double first = Math.pow(10, Math.floor(Math.log10(ticks.get(0))));
            for (double tick = first; tick < max * 10; tick *= 10) {
                powers.add(tick);
                if (tick >= max) {
                    break;
                }
            }
            return powers;
        }
        return ticks;
    }

    /** About five round steps from {@code min} to at least {@code max}. */
    static List<Double> linearTicks(double min, double max) {
        double raw = (max - min) / 5;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / magnitude < 2 ? 2 * magnitude : raw / magnitude < 5 ? 5 * magnitude : 10 * magnitude;
        List<Double> ticks = new ArrayList<>();
        for (double tick = min; ; tick += step) {
            ticks.add(tick);
            if (tick >= max) {
                return ticks;
            }
        }
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
