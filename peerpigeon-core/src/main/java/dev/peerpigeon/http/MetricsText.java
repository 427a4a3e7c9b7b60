package dev.peerpigeon.http;

import java.util.List;

/**
 * Renders metric families in the Prometheus text format 0.0.4, or OpenMetrics 1.0 text (counter families named
 * without {@code _total}, {@code # EOF} at the end). A pure function. Stateless.
 */
public final class MetricsText {
    public static final String PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    public static final String OPENMETRICS_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    public enum Type { COUNTER, GAUGE, HISTOGRAM }

    /**
     * One sample: the suffix after the family name ({@code "", "_total", "_bucket", "_sum", "_count"}), label
     * pairs (name, value, name, value...; values from fixed sets) and the value.
     */
    public record Sample(String suffix, List<String> labels, double value) {
    }

    /** A family: its name without {@code _total}, type, help and samples. */
    public record Family(String name, Type type, String help, List<Sample> samples) {
    }

    private MetricsText() {
    }

    /** Whether an {@code Accept} header asks for OpenMetrics. */
    public static boolean wantsOpenMetrics(String accept) {
        return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("application/openmetrics-text");
    }

    public static String render(List<Family> families, boolean openMetrics) {
        StringBuilder sb = new StringBuilder(4096);
        for (Family f : families) {
            // 0.0.4 names the counter family after its samples (with _total); OpenMetrics without.
            String declared = f.type() == Type.COUNTER && !openMetrics ? f.name() + "_total" : f.name();
            sb.append("# HELP ").append(declared).append(' ').append(escapeHelp(f.help())).append('\n');
            sb.append("# TYPE ").append(declared).append(' ').append(f.type().name().toLowerCase(java.util.Locale.ROOT))
                    .append('\n');
            for (Sample s : f.samples()) {
                sb.append(f.name()).append(s.suffix());
                List<String> l = s.labels();
                if (!l.isEmpty()) {
                    sb.append('{');
                    for (int i = 0; i < l.size(); i += 2) {
                        if (i > 0) {
                            sb.append(',');
                        }
                        sb.append(l.get(i)).append("=\"").append(escapeLabel(l.get(i + 1))).append('"');
                    }
                    sb.append('}');
                }
                sb.append(' ').append(number(s.value())).append('\n');
            }
        }
        if (openMetrics) {
            sb.append("# EOF\n");
        }
        return sb.toString();
    }

    /** A value as Prometheus writes it: integers without a fraction, others in Java's shortest form. */
    public static String number(double v) {
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    private static String escapeHelp(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static String escapeLabel(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
