package io.agentmesh.sim.report;

import java.util.Locale;

/**
 * The drawing helpers the HTML reports share: the deterministic simulator's {@link HtmlReport} and the live run's
 * report, which adds its own sections to it, draw on the same time axis, lanes and escaping, so their charts line up.
 */
public final class Svg {
    public static final int WIDTH = 1000;
    public static final int LEFT = 110;
    public static final int RIGHT = 20;
    public static final int LANE = 22;

    private Svg() {
    }

    /** The x of {@code ms} on a time axis from 0 to {@code end}. */
    public static double x(long ms, long end) {
        return LEFT + (double) ms / end * (WIDTH - LEFT - RIGHT);
    }

    /** Opens a chart the full report width. */
    public static void open(StringBuilder b, int height) {
        b.append("<svg width=\"").append(WIDTH).append("\" height=\"").append(height)
                .append("\" xmlns=\"http://www.w3.org/2000/svg\">\n");
    }

    /** A lane's name, left of the lane starting at {@code y}. */
    public static void label(StringBuilder b, int y, String text) {
        b.append("<text x=\"6\" y=\"").append(y + LANE / 2 + 4).append("\" font-size=\"12\">").append(esc(text))
                .append("</text>");
    }

    /** A bar in the lane starting at {@code y}, at least a pixel wide, with a hover title. */
    public static void rect(StringBuilder b, long from, long to, long end, int y, String color, double opacity,
                            String title) {
        double x1 = x(from, end);
        double w = Math.max(1, x(to, end) - x1);
        b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\""
                + " fill-opacity=\"%.2f\"><title>%s</title></rect>", x1, y + 3, w, LANE - 6, color, opacity, esc(title)));
    }

    /** A vertical line at {@code at}, none when {@code at} is negative (the moment never came). */
    public static void marker(StringBuilder b, long at, long end, int y1, int y2, String color, String dash,
                              String title) {
        if (at < 0) {
            return;
        }
        double xx = x(at, end);
        b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\""
                + " stroke-width=\"2\"%s><title>%s</title></line>", xx, y1, xx, y2, color,
                dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\"", esc(title)));
    }

    /** A round step between time axis ticks, at least {@code raw} ms. */
    public static long niceStep(long raw) {
        long[] steps = {100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
                600_000, 1_800_000, 3_600_000};
        for (long s : steps) {
            if (s >= raw) {
                return s;
            }
        }
        return 7_200_000;
    }

    /** The smallest of 4, 8, 20, 40, 80, 200... that is >= {@code v}: a chart top with four round ticks. */
    static long niceCeiling(long v) {
        long p = 1;
        while (true) {
            for (long m : new long[]{4, 8, 20, 40}) {
                if (m * p >= v) {
                    return m * p;
                }
            }
            p *= 10;
        }
    }

    /** Five horizontal grid lines from 0 to {@code max}, each labelled with its value and {@code unit}. */
    static void valueGrid(StringBuilder b, long max, int top, int bottom, String unit) {
        for (int i = 0; i <= 4; i++) {
            long v = Math.round(max * i / 4.0);
            double yy = bottom - (double) (bottom - top) * i / 4;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%d%s</text>", LEFT, yy,
                    WIDTH - RIGHT, yy, LEFT - 6, yy + 3, v, unit));
        }
    }

    /** {@code ms} in seconds: whole seconds as "12s", others to a tenth, "12.5s". */
    public static String formatSeconds(long ms) {
        return ms % 1_000 == 0 ? (ms / 1_000) + "s" : String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }

    public static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
