package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StepTest {
    @Test
    void aStaticHandlerGetsOneClassOfItsOwnSharedByAllCallers() {
        Handler h = Semantics.handlers().iterator().next();
        Step s = Step.of(h);
        assertSame(s, Step.of(h), "the step of a static handler is made once");
        assertNotSame(Step.Generic.class, s.getClass());
        assertEquals(Step.class, s.getClass().getSuperclass());
        assertNotSame(s.getClass(), Step.of(Specialized.handlers().get(0)).getClass(),
                "each handler has its own class, so the handler is a constant of it");
    }

    @Test
    void aStepRunsItsHandlerWithTheCpuAndInstruction() {
        List<Object> seen = new ArrayList<>();
        Handler h = (c, i) -> {
            seen.add(c);
            seen.add(i);
        };
        Step s = Step.of(h);
        assertInstanceOf(Step.Generic.class, s, "a handler that is not static is called through its interface");
        Insn i = new Insn();
        s.exec(null, i);
        assertEquals(java.util.Arrays.asList(null, i), seen);
    }

    @Test
    void aDecodedInstructionRunsThroughTheStepOfItsHandler() {
        try (CpuFixture f = new CpuFixture()) {
            f.load(0x10000, 0x40).flat32(0x10000);     // INC EAX
            Cpu c = f.cpu;
            c.r[Cpu.EAX] = 0x7FFF_FFFFL;
            Insn i = c.code.fetch();
            assertSame(Step.of(i.handler), i.step);
            assertNotSame(Step.Generic.class, i.step.getClass());
            c.rip += i.len;
            i.step.exec(c, i);
            assertEquals(0x8000_0000L, c.r[Cpu.EAX]);
            assertEquals(Flags.OF, c.eflags() & Flags.OF, "INC of 7FFFFFFF overflows");
        }
    }
}
