package io.bulwark.cli;

import io.bulwark.ring.NodeLocator;
import io.bulwark.ring.Node;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Draws a ring as SVG: the key space as a circle, each node's ranges as arcs in the node's colour, an
 * outer red band where keys moved after the change, and bars of each node's share against its target.
 */
final class RingSvg {

    private static final int SEGMENTS = 2048;
    private static final int SAMPLES = 16;

    private RingSvg() {
    }

    static String render(NodeLocator before, NodeLocator after, RingReport report) {
        Map<String, String> colour = new HashMap<>();
        int n = before.size();
        for (int i = 0; i < n; i++) {
            colour.put(before.nodes().get(i).id(), hsl(i, n, 0));
        }
        int extra = 0;
        for (Node node : after.nodes()) {
            if (!colour.containsKey(node.id())) {
                colour.put(node.id(), extra++ % 2 == 0 ? "#222222" : "#555555");
            }
        }
        int rows = Math.min(n, 40);
        int height = Math.max(720, 120 + rows * 16) + 150;
        StringBuilder s = new StringBuilder(1 << 16);
        s.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1100\" height=\"%d\" viewBox=\"0 0 1100 %d\" "
                        + "font-family=\"sans-serif\" font-size=\"12\">%n", height, height));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"20\" y=\"28\" font-size=\"16\">Bulwark %s: %d nodes,"
                + " peak/mean %.4f; moved %,d keys (%.4fx ideal), between stayers %d</text>%n", before.algorithm(), n,
                report.peakToMean(), report.moved(), report.idealMoved() == 0 ? 0 : report.moved() / report.idealMoved(),
                report.movedBetweenStayers()));
        double cx = 360;
        double cy = 380;
        // Owner arcs (inner ring, before) and moved band (outer ring).
        String previous = null;
        int runStart = 0;
        for (int seg = 0; seg <= SEGMENTS; seg++) {
            String owner = seg == SEGMENTS ? null : before.locate(position(seg, SAMPLES / 2)).id();
            if (previous != null && !previous.equals(owner)) {
                s.append(arc(cx, cy, 230, 290, runStart, seg, colour.get(previous), 1.0));
                runStart = seg;
            } else if (previous == null) {
                runStart = seg;
            }
            previous = owner;
        }
        if (before != after) {
            for (int seg = 0; seg < SEGMENTS; seg++) {
                int movedSamples = 0;
                for (int k = 0; k < SAMPLES; k++) {
                    long h = position(seg, k);
                    if (!before.locate(h).id().equals(after.locate(h).id())) {
                        movedSamples++;
                    }
                }
                if (movedSamples > 0) {
                    s.append(arc(cx, cy, 296, 330, seg, seg + 1, "#d62728", 0.25 + 0.75 * movedSamples / SAMPLES));
                }
            }
            s.append("<text x=\"20\" y=\"50\" fill=\"#d62728\">outer red band: ranges whose owner changed;"
                    + " new nodes in dark grey</text>\n");
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">0</text>%n", cx, cy - 335));
        // Share bars.
        double[] targets = before.targetShares();
        double maxRatio = 1.0;
        for (int i = 0; i < n; i++) {
            maxRatio = Math.max(maxRatio, report.perNodeBefore[i] / (report.keys * targets[i]));
        }
        s.append("<text x=\"720\" y=\"70\">share / target per node (line = target)</text>\n");
        for (int r = 0; r < rows; r++) {
            int i = n <= 40 ? r : (int) ((long) r * n / rows);
            Node node = before.nodes().get(i);
            double ratio = report.perNodeBefore[i] / (report.keys * targets[i]);
            double y = 85 + r * 16;
            double width = 300 * ratio / maxRatio;
            s.append(String.format(Locale.ROOT, "<text x=\"715\" y=\"%.0f\" text-anchor=\"end\">%s</text>", y + 11,
                    escape(node.id())));
            s.append(String.format(Locale.ROOT, "<rect x=\"720\" y=\"%.0f\" width=\"%.1f\" height=\"12\" fill=\"%s\"/>",
                    y, width, colour.get(node.id())));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.0f\">%.3f</text>%n", 726 + width, y + 11, ratio));
        }
        double targetX = 720 + 300 / maxRatio;
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"80\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"black\" "
                + "stroke-dasharray=\"4 3\"/>%n", targetX, targetX, 85 + rows * 16.0));
        strips(s, before, after, colour, height - 140);
        s.append("</svg>\n");
        return s.toString();
    }

    /** A zoom on the first 1/256 of the key space: owners before and after, and what moved between. */
    private static void strips(StringBuilder s, NodeLocator before, NodeLocator after, Map<String, String> colour, int top) {
        int width = 1000;
        long span = (1L << 32) / 256;
        s.append(String.format(Locale.ROOT, "<text x=\"20\" y=\"%d\">zoom on the first 1/256 of the key space"
                + " (each band: owner of every position, left to right)</text>%n", top));
        band(s, before, colour, top + 10, width, span, "before");
        if (before != after) {
            band(s, after, colour, top + 70, width, span, "after");
            for (int x = 0; x < width; x++) {
                long h = (x * span / width) << 32;
                if (!before.locate(h).id().equals(after.locate(h).id())) {
                    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"1\" height=\"20\" "
                            + "fill=\"#d62728\"/>", 70 + x, top + 45));
                }
            }
            s.append(String.format(Locale.ROOT, "<text x=\"20\" y=\"%d\" fill=\"#d62728\">moved</text>%n",
                    top + 60));
        }
    }

    private static void band(StringBuilder s, NodeLocator ring, Map<String, String> colour, int y, int width, long span,
            String label) {
        String previous = null;
        int start = 0;
        for (int x = 0; x <= width; x++) {
            String owner = x == width ? null : ring.locate((x * span / width) << 32).id();
            if (previous != null && !previous.equals(owner)) {
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"24\" fill=\"%s\">"
                        + "<title>%s</title></rect>", 70 + start, y, x - start, colour.get(previous), escape(previous)));
                start = x;
            } else if (previous == null) {
                start = x;
            }
            previous = owner;
        }
        s.append(String.format(Locale.ROOT, "<text x=\"20\" y=\"%d\">%s</text>%n", y + 16, label));
    }

    private static long position(int segment, int sample) {
        long pos = (long) segment * (1L << 32) / SEGMENTS + (long) sample * ((1L << 32) / SEGMENTS / SAMPLES);
        return pos << 32;
    }

    private static String arc(double cx, double cy, double r0, double r1, int fromSeg, int toSeg, String fill,
            double opacity) {
        double a0 = 2 * Math.PI * fromSeg / SEGMENTS - Math.PI / 2;
        double a1 = 2 * Math.PI * toSeg / SEGMENTS - Math.PI / 2;
        if (toSeg - fromSeg >= SEGMENTS) {
            a1 -= 1e-4;
        }
        int large = a1 - a0 > Math.PI ? 1 : 0;
        return String.format(Locale.ROOT,
                "<path d=\"M %.2f %.2f A %.1f %.1f 0 %d 1 %.2f %.2f L %.2f %.2f A %.1f %.1f 0 %d 0 %.2f %.2f Z\" "
                        + "fill=\"%s\" fill-opacity=\"%.2f\"/>%n",
                cx + r1 * Math.cos(a0), cy + r1 * Math.sin(a0), r1, r1, large, cx + r1 * Math.cos(a1),
                cy + r1 * Math.sin(a1), cx + r0 * Math.cos(a1), cy + r0 * Math.sin(a1), r0, r0, large,
                cx + r0 * Math.cos(a0), cy + r0 * Math.sin(a0), fill, opacity);
    }

    private static String hsl(int i, int n, int family) {
        double hue = 360.0 * i / Math.max(1, n);
        return String.format(Locale.ROOT, "hsl(%.0f,%d%%,%d%%)", hue, family == 0 ? 65 : 90, family == 0 ? 55 : 35);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
