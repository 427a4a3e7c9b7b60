package dev.peerpigeon.testkit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4 (and, with {@code openMetrics}, the OpenMetrics
 * 1.0 text subset this server writes): every line is {@code # HELP}, {@code # TYPE} or a sample of the grammar;
 * each family is declared once, before its samples, and its samples are contiguous; no sample repeats;
 * histogram buckets are cumulative, end with {@code +Inf}, and {@code +Inf == _count}. Throws
 * {@link IllegalArgumentException} naming the line on any violation. Stateless.
 */
public final class PrometheusText {
    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") (.*)");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(.*)})? (\\S+)( -?[0-9]+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");
    private static final Pattern FLOAT = Pattern.compile("[+-]?(Inf|NaN|[0-9]*\\.?[0-9]+([eE][+-]?[0-9]+)?|[0-9]+\\.)");

    /** The samples, keyed by {@code name{l1="v1",...}} with labels in name order. */
    public record Parsed(Map<String, Double> samples, Map<String, String> types) {
        /** The sample's value; labels as name, value pairs. Fails when the sample is missing. */
        public double value(String name, String... labels) {
            Double v = samples.get(key(name, pairs(labels)));
            if (v == null) {
                throw new AssertionError("no sample " + key(name, pairs(labels)) + " in " + samples.keySet());
            }
            return v;
        }
    }

    private PrometheusText() {
    }

    public static Parsed parse(String text, boolean openMetrics) {
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("the text does not end with a newline");
        }
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        Map<String, String> types = new LinkedHashMap<>();
        Set<String> helped = new HashSet<>();
        Set<String> closed = new HashSet<>();
        Map<String, Double> samples = new LinkedHashMap<>();
        String current = null;
        Map<String, TreeMap<Double, Double>> buckets = new HashMap<>(); // family+labels -> le -> count
        boolean eof = false;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String where = "line " + (i + 1) + " '" + line + "'";
            if (eof) {
                throw new IllegalArgumentException(where + ": after # EOF");
            }
            if (openMetrics && line.equals("# EOF")) {
                eof = true;
                continue;
            }
            Matcher m;
            if ((m = HELP.matcher(line)).matches()) {
                String f = m.group(1);
                if (!helped.add(f) || closed.contains(f)) {
                    throw new IllegalArgumentException(where + ": HELP of " + f + " repeated");
                }
                continue;
            }
            if ((m = TYPE.matcher(line)).matches()) {
                String f = m.group(1);
                if (types.containsKey(f) || closed.contains(f)) {
                    throw new IllegalArgumentException(where + ": TYPE of " + f + " repeated");
                }
                if (current != null) {
                    closed.add(current);
                }
                types.put(f, m.group(2));
                current = f;
                continue;
            }
            if (line.startsWith("#") || line.isEmpty()) {
                throw new IllegalArgumentException(where + ": neither HELP, TYPE nor a sample");
            }
            if (!(m = SAMPLE.matcher(line)).matches()) {
                throw new IllegalArgumentException(where + ": not a sample");
            }
            String name = m.group(1);
            Map<String, String> labels = labels(m.group(3), where);
            if (!FLOAT.matcher(m.group(4)).matches()) {
                throw new IllegalArgumentException(where + ": bad value");
            }
            double value = Double.parseDouble(m.group(4).replace("Inf", "Infinity"));
            String family = familyOf(name, current, types.get(current), openMetrics);
            if (family == null) {
                throw new IllegalArgumentException(where + ": sample outside its family's block (current " + current + ")");
            }
            if (types.get(family).equals("histogram") && name.endsWith("_bucket")) {
                String le = labels.remove("le");
                if (le == null) {
                    throw new IllegalArgumentException(where + ": bucket without le");
                }
                TreeMap<Double, Double> b = buckets.computeIfAbsent(key(family, labels), k -> new TreeMap<>());
                b.put(Double.parseDouble(le.replace("Inf", "Infinity")), value);
                labels.put("le", le);
            }
            if (types.get(family).equals("counter") && value < 0) {
                throw new IllegalArgumentException(where + ": negative counter");
            }
            if (samples.put(key(name, labels), value) != null) {
                throw new IllegalArgumentException(where + ": sample repeated");
            }
        }
        if (openMetrics && !eof) {
            throw new IllegalArgumentException("no # EOF");
        }
        for (Map.Entry<String, TreeMap<Double, Double>> e : buckets.entrySet()) {
            double previous = 0;
            for (double count : e.getValue().values()) {
                if (count < previous) {
                    throw new IllegalArgumentException(e.getKey() + ": buckets not cumulative " + e.getValue());
                }
                previous = count;
            }
            if (!e.getValue().containsKey(Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException(e.getKey() + ": no +Inf bucket");
            }
            String countKey = e.getKey().replaceFirst("^(" + NAME + ")", "$1_count");
            Double count = samples.get(countKey);
            if (count == null || count.doubleValue() != e.getValue().get(Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException(e.getKey() + ": +Inf bucket != _count (" + count + ")");
            }
        }
        return new Parsed(samples, types);
    }

    /** The family a sample name belongs to, when it is the current block's. */
    private static String familyOf(String name, String current, String type, boolean openMetrics) {
        if (current == null) {
            return null;
        }
        return switch (type) {
            case "histogram" -> name.equals(current + "_bucket") || name.equals(current + "_sum")
                    || name.equals(current + "_count") ? current : null;
            case "summary" -> name.equals(current) || name.equals(current + "_sum")
                    || name.equals(current + "_count") ? current : null;
            case "counter" -> (openMetrics ? name.equals(current + "_total") : name.equals(current)
                    && current.endsWith("_total")) ? current : null;
            default -> name.equals(current) ? current : null;
        };
    }

    private static Map<String, String> labels(String body, String where) {
        Map<String, String> out = new TreeMap<>();
        if (body == null || body.isEmpty()) {
            return out;
        }
        Matcher m = LABEL.matcher(body);
        int at = 0;
        while (at < body.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException(where + ": bad labels");
            }
            if (out.put(m.group(1), m.group(2)) != null) {
                throw new IllegalArgumentException(where + ": label repeated");
            }
            at = m.end();
            if (at < body.length()) {
                if (body.charAt(at) != ',') {
                    throw new IllegalArgumentException(where + ": bad labels");
                }
                at++;
            }
        }
        return out;
    }

    private static Map<String, String> pairs(String... labels) {
        Map<String, String> out = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            out.put(labels[i], labels[i + 1]);
        }
        return out;
    }

    private static String key(String name, Map<String, String> labels) {
        List<String> parts = new ArrayList<>();
        new TreeMap<>(labels).forEach((k, v) -> parts.add(k + "=\"" + v + "\""));
        return parts.isEmpty() ? name : name + "{" + String.join(",", parts) + "}";
    }
}
