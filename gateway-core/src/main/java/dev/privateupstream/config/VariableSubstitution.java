package dev.privateupstream.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} and {@code ${NAME:-default}} in a configuration value with environment
 * variables (SPEC §4).
 *
 * <p>As in a POSIX shell and Docker Compose, {@code :-} takes the default when the variable is unset
 * <em>or empty</em>; {@code ${NAME}} of a variable set to the empty string yields the empty string. A
 * default runs to the first <code>}</code> and is not itself substituted. <code>$${</code> writes a
 * literal <code>${</code>, which lets the admin API store any text in the endpoints file. A {@code $} not
 * followed by <code>{</code> is kept as it is.
 */
final class VariableSubstitution {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String DEFAULT_SEPARATOR = ":-";

    private final Map<String, String> environment;

    VariableSubstitution(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /**
     * The text with every placeholder replaced.
     *
     * @throws IllegalArgumentException naming every unset variable without a default, or a malformed
     *         placeholder
     */
    String apply(String text) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        List<String> unset = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$') {
                out.append(c);
                i++;
            } else if (text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (text.startsWith("${", i)) {
                int close = text.indexOf('}', i + 2);
                if (close < 0) {
                    throw new IllegalArgumentException("'" + text + "' has an unterminated ${ (expected: ${NAME} or "
                            + "${NAME:-default}; write $${ for a literal ${)");
                }
                String body = text.substring(i + 2, close);
                int separator = body.indexOf(DEFAULT_SEPARATOR);
                String name = separator < 0 ? body : body.substring(0, separator);
                if (!NAME.matcher(name).matches()) {
                    throw new IllegalArgumentException("'${" + body + "}' is not a valid placeholder (expected: "
                            + "${NAME} or ${NAME:-default}, NAME made of letters, digits and _)");
                }
                String value = environment.get(name);
                if (separator >= 0 && (value == null || value.isEmpty())) {
                    value = body.substring(separator + DEFAULT_SEPARATOR.length());
                }
                if (value == null) {
                    unset.add(name);
                } else {
                    out.append(value);
                }
                i = close + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        if (!unset.isEmpty()) {
            throw new IllegalArgumentException(unsetMessage(unset));
        }
        return out.toString();
    }

    private static String unsetMessage(List<String> unset) {
        if (unset.size() == 1) {
            String name = unset.get(0);
            return "environment variable " + name + " is not set (expected: set it, or give a default: ${"
                    + name + ":-value})";
        }
        return "environment variables " + String.join(", ", unset)
                + " are not set (expected: set them, or give defaults: ${NAME:-value})";
    }
}
