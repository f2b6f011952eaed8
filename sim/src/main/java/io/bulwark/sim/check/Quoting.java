package io.bulwark.sim.check;

/**
 * Renders keys and values for explanations, so that an absent value cannot be confused with the string
 * {@code "null"} and a value with spaces stays readable. Stateless.
 */
final class Quoting {

    private Quoting() {
    }

    /** {@code "text"} in double quotes with quotes and backslashes escaped, or {@code absent} for null. */
    static String value(String value) {
        if (value == null) {
            return "absent";
        }
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
