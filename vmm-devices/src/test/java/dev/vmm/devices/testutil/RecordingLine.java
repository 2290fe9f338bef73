package dev.vmm.devices.testutil;

import dev.vmm.core.clock.Clock;
import dev.vmm.core.irq.IrqLine;
import java.util.ArrayList;
import java.util.List;

/** An IRQ line that remembers its level and the guest time of every change. */
public final class RecordingLine implements IrqLine {
    /** One level change. */
    public record Edge(long nanos, boolean level) {
    }

    private final Clock clock;
    private final List<Edge> edges = new ArrayList<>();
    private boolean level;

    public RecordingLine(Clock clock) {
        this.clock = clock;
    }

    @Override
    public void set(boolean l) {
        if (l != level) {
            level = l;
            edges.add(new Edge(clock.nanos(), l));
        }
    }

    public boolean level() {
        return level;
    }

    public List<Edge> edges() {
        return List.copyOf(edges);
    }

    public long risingEdges() {
        return edges.stream().filter(Edge::level).count();
    }

    public void clear() {
        edges.clear();
    }
}
