package dev.vmm.cli.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The wire format of the control API: UTF-8 lines of at most {@link #MAX_LINE} bytes, each one
 * JSON object. A request has a string {@code op} and the op's fields; a reply has
 * {@code "ok": true} and its results, or {@code "ok": false} and a one-line {@code error}.
 * See docs/monitor.md for the ops.
 */
final class ControlProtocol {
    /** Longest request or reply line (bytes, without the newline). */
    static final int MAX_LINE = 64 * 1024;
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private ControlProtocol() {
    }

    /** A line read from a connection; {@code tooLong} when it passed {@link #MAX_LINE}. */
    record Line(String text, boolean tooLong) {
    }

    /** Reads one line; null at the end of the stream. A too long line is skipped up to the limit. */
    static Line readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                return new Line(buf.toString(StandardCharsets.UTF_8), false);
            }
            if (buf.size() >= MAX_LINE) {
                return new Line(null, true);
            }
            buf.write(b);
        }
        return buf.size() == 0 ? null : new Line(buf.toString(StandardCharsets.UTF_8), false);
    }

    /** Parses a request: a JSON object with a string {@code op}; IllegalArgumentException says what is wrong. */
    static JsonNode parse(String line) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed request: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("malformed request: not a JSON object");
        }
        JsonNode op = n.get("op");
        if (op == null || !op.isTextual()) {
            throw new IllegalArgumentException("malformed request: no \"op\" string");
        }
        return n;
    }

    static void write(OutputStream out, ObjectNode reply) throws IOException {
        byte[] b = JSON.writeValueAsBytes(reply);
        synchronized (out) {
            out.write(b);
            out.write('\n');
            out.flush();
        }
    }

    static ObjectNode ok() {
        return JSON.createObjectNode().put("ok", true);
    }

    static ObjectNode error(String message) {
        return JSON.createObjectNode().put("ok", false).put("error", message);
    }

    /** The request's {@code name}: a valid VM name. */
    static String name(JsonNode r) {
        String name = textField(r, "name");
        VmDefinition.checkName(name);
        return name;
    }

    static String textField(JsonNode r, String field) {
        JsonNode n = r.get(field);
        if (n == null || !n.isTextual()) {
            throw new IllegalArgumentException("request needs a \"" + field + "\" string");
        }
        return n.asText();
    }

    /** An optional integer field in {@code [min, max]}, {@code def} when absent. */
    static int intField(JsonNode r, String field, int def, int min, int max) {
        JsonNode n = r.get(field);
        if (n == null || n.isNull()) {
            return def;
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < min || n.asInt() > max) {
            throw new IllegalArgumentException("\"" + field + "\" must be an integer from " + min + " to " + max);
        }
        return n.asInt();
    }
}
