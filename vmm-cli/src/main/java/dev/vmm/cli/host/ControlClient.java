package dev.vmm.cli.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** A connection to a host's control socket: requests and replies, or a console's byte stream. */
public final class ControlClient implements AutoCloseable {
    /** No host answers on the socket. */
    public static final class NoHost extends IOException {
        private static final long serialVersionUID = 1L;

        NoHost(String message) {
            super(message);
        }
    }

    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;

    private ControlClient(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedInputStream(Channels.newInputStream(channel));
        this.out = Channels.newOutputStream(channel);
    }

    /** Connects to the host on {@code socket}; {@link NoHost} if none runs there. */
    public static ControlClient connect(Path socket) throws IOException {
        if (!Files.exists(socket)) {
            throw new NoHost("no vmm host on " + socket + " (start one with: vmm host)");
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw new NoHost("no vmm host on " + socket + " (" + e.getMessage() + "; start one with: vmm host)");
        }
        return new ControlClient(ch);
    }

    /** True if a host answers a ping on {@code socket}. */
    static boolean answers(Path socket) {
        try (ControlClient c = connect(socket)) {
            return c.request(ControlProtocol.JSON.createObjectNode().put("op", "ping")).path("ok").asBoolean();
        } catch (IOException e) {
            return false;
        }
    }

    /** A new request object with {@code op} set. */
    public static ObjectNode request(String op) {
        return ControlProtocol.JSON.createObjectNode().put("op", op);
    }

    /** Sends one request and waits for its reply. */
    public JsonNode request(ObjectNode request) throws IOException {
        ControlProtocol.write(out, request);
        return reply();
    }

    /** Sends a raw line (tests: malformed requests) and waits for the reply. */
    JsonNode requestLine(String line) throws IOException {
        out.write((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.flush();
        return reply();
    }

    private JsonNode reply() throws IOException {
        ControlProtocol.Line line = ControlProtocol.readLine(in);
        if (line == null || line.tooLong()) {
            throw new IOException("the host closed the connection");
        }
        return ControlProtocol.JSON.readTree(line.text());
    }

    /** After a {@code console} reply: the guest's output. */
    public InputStream input() {
        return in;
    }

    /** After a {@code console} reply: keystrokes for the guest. */
    public OutputStream output() {
        return out;
    }

    /** Half-closes the connection's sending side (the host sees the end of the keystrokes). */
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
