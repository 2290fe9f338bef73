package dev.vmm.core.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmm.core.memory.Ram;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class MemoryPoolTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    @Test
    void refusesWhatDoesNotFitWithAClearMessage() {
        MemoryPool pool = new MemoryPool(GIB);
        try (MemoryPool.Reservation vm1 = pool.reserve("vm1", 640 * MIB)) {
            PoolExhaustedException e = assertThrows(PoolExhaustedException.class, () -> pool.reserve("vm2", 512 * MIB));
            assertEquals("cannot reserve 512 MiB for vm2: 384 MiB of the 1 GiB budget left (vm1 holds 640 MiB)",
                    e.getMessage());
            assertEquals(512 * MIB, e.requested());
            assertEquals(384 * MIB, e.available());
            assertEquals(640 * MIB, pool.used());
            assertEquals(384 * MIB, pool.available());
            assertEquals(640 * MIB, vm1.bytes());
        }
        assertEquals(0, pool.used(), "closing the reservation returns the memory");
        try (MemoryPool.Reservation vm2 = pool.reserve("vm2", 512 * MIB)) {
            assertEquals(512 * MIB, pool.reserved("vm2"));
            assertEquals("512 MiB for vm2", vm2.toString());
        }
    }

    @Test
    void perVmViewAndIdempotentRelease() {
        MemoryPool pool = new MemoryPool(GIB);
        MemoryPool.Reservation a = pool.reserve("a", 100 * MIB);
        MemoryPool.Reservation b1 = pool.reserve("b", 200 * MIB);
        MemoryPool.Reservation b2 = pool.reserve("b", 50 * MIB);
        assertEquals(List.of(new MemoryPool.Holding("a", 100 * MIB, 100 * MIB),
                new MemoryPool.Holding("b", 250 * MIB, 250 * MIB)), pool.holdings(),
                "unattached reservations report their reserved size as resident");
        PoolExhaustedException e = assertThrows(PoolExhaustedException.class, () -> pool.reserve("c", 700 * MIB));
        assertEquals("cannot reserve 700 MiB for c: 674 MiB of the 1 GiB budget left (a holds 100 MiB, b holds 250 MiB)",
                e.getMessage());
        b1.close();
        b1.close();
        assertEquals(150 * MIB, pool.used());
        a.close();
        b2.close();
        assertEquals(0, pool.used());
        assertEquals(List.of(), pool.holdings());
        assertThrows(IllegalArgumentException.class, () -> pool.reserve("x", 0));
    }

    @Test
    void concurrentReservationsNeverOvercommit() throws Exception {
        MemoryPool pool = new MemoryPool(100 * MIB);
        ExecutorService ex = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<MemoryPool.Reservation>> fs = new ArrayList<>();
        for (int n = 0; n < 64; n++) {
            String name = "vm" + n;
            fs.add(ex.submit(() -> {
                go.await();
                try {
                    return pool.reserve(name, 3 * MIB);
                } catch (PoolExhaustedException refused) {
                    return null;
                }
            }));
        }
        go.countDown();
        int granted = 0;
        for (var f : fs) {
            if (f.get() != null) {
                granted++;
            }
        }
        ex.shutdown();
        assertEquals(33, granted, "100 MiB holds 33 reservations of 3 MiB");
        assertEquals(99 * MIB, pool.used());
    }

    @Test
    void residentMemoryFollowsWhatTheGuestTouched() {
        assumeTrue(ResidentMemory.supported(), "mincore accounting needs Linux");
        MemoryPool pool = new MemoryPool(4 * GIB);
        try (Ram ram = Ram.allocate(GIB); MemoryPool.Reservation r = pool.reserve("big", GIB)) {
            r.attach(ram.segment());
            long before = r.residentBytes();
            assertTrue(before < MIB, "fresh lazily mapped RAM is (nearly) not resident: " + before);
            MemorySegment s = ram.segment();
            for (long off = 0; off < 10 * MIB; off += 4096) {
                s.set(ValueLayout.JAVA_BYTE, off, (byte) 1);
            }
            long resident = r.residentBytes();
            // huge pages may round the touched range up to the next 2 MiB boundaries
            assertTrue(resident >= 10 * MIB && resident <= 14 * MIB, "resident: " + Sizes.format(resident));
            assertEquals(resident, pool.resident("big"));
            assertEquals(GIB, pool.reserved("big"));
        }
        assertEquals(0, pool.used());
    }

    @Test
    void residencyFallsBackToReservedForHeapMemory() {
        MemoryPool pool = new MemoryPool(GIB);
        try (MemoryPool.Reservation r = pool.reserve("heap", 8 * MIB)) {
            r.attach(MemorySegment.ofArray(new byte[4096]));
            assertEquals(8 * MIB, r.residentBytes());
        }
    }

    @Test
    void sizesReadWell() {
        assertEquals("1 GiB", Sizes.format(GIB));
        assertEquals("640 MiB", Sizes.format(640 * MIB));
        assertEquals("1.5 GiB", Sizes.format(GIB + GIB / 2));
        assertEquals("4 KiB", Sizes.format(4096));
        assertEquals("100 bytes", Sizes.format(100));
    }
}
