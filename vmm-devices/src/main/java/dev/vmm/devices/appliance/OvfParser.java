package dev.vmm.devices.appliance;

import static dev.vmm.devices.appliance.OvfDescriptor.OVF2_NS;
import static dev.vmm.devices.appliance.OvfDescriptor.OVF_NS;
import static dev.vmm.devices.appliance.OvfDescriptor.VMM_NS;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Reads OVF 1.x and 2.x descriptors into an {@link OvfDescriptor}. Items are read by their
 * element's local names, whatever the CIM namespace ({@code rasd}, {@code sasd},
 * {@code epasd}); disks are ordered by their place on the controllers (IDE first, then by
 * controller address and address on the controller). Sections and elements it does not know
 * (VirtualBox's {@code vbox:Machine}, VMware's {@code vmw:Config}) are ignored.
 */
final class OvfParser {
    private static final Pattern POWER = Pattern.compile("byte\\*(\\d+)\\^(\\d+)");
    private static final Pattern DISK_REF = Pattern.compile("(?:ovf:)?/disk/(.+)");
    private static final Pattern FILE_REF = Pattern.compile("(?:ovf:)?/file/(.+)");

    private final String ns;
    private final Map<String, OvfDescriptor.FileRef> files = new LinkedHashMap<>();
    private final Map<String, OvfDescriptor.Disk> disksById = new LinkedHashMap<>();

    private OvfParser(String ns) {
        this.ns = ns;
    }

    /** One hardware item: its fields by local name, and where it appeared. */
    private record Item(Map<String, String> fields, int index) {
        String get(String name) {
            return fields.get(name);
        }
    }

    /** A disk item placed on a controller, for ordering. */
    private record Placed(OvfDescriptor.Disk disk, int controllerKind, long controllerAddress,
                          long address, int index) {
    }

    static OvfDescriptor parse(byte[] xml) throws IOException {
        Document doc;
        try {
            DocumentBuilder b = newBuilder();
            b.setErrorHandler(null);
            doc = b.parse(new ByteArrayInputStream(xml));
        } catch (SAXException e) {
            throw new IOException("OVF descriptor does not parse: " + e.getMessage(), e);
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML support failed", e);
        }
        Element env = doc.getDocumentElement();
        String ns = env.getNamespaceURI();
        if (!"Envelope".equals(env.getLocalName())
                || !(OVF_NS.equals(ns) || OVF2_NS.equals(ns))) {
            throw new IOException("OVF descriptor: root element is not an Envelope in "
                    + OVF_NS + " or " + OVF2_NS);
        }
        return new OvfParser(ns).read(env);
    }

    private static DocumentBuilder newBuilder() throws ParserConfigurationException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        return f.newDocumentBuilder();
    }

    private OvfDescriptor read(Element env) throws IOException {
        Map<String, String> hrefById = new HashMap<>();
        Element refs = child(env, "References");
        if (refs != null) {
            for (Element f : children(refs, ns, "File")) {
                String id = attr(f, "id");
                String href = attr(f, "href");
                if (id == null || href == null) {
                    throw new IOException("OVF descriptor: a References/File lacks ovf:id or"
                            + " ovf:href");
                }
                String size = attr(f, "size");
                if (hrefById.put(id, href) != null || files.containsKey(href)) {
                    throw new IOException("OVF descriptor: file " + id + " (" + href
                            + ") is listed twice");
                }
                files.put(href, new OvfDescriptor.FileRef(href,
                        size == null ? -1 : number(size, "size of " + href)));
            }
        }
        readDisks(env, hrefById);
        String network = "";
        Element net = child(env, "NetworkSection");
        if (net != null) {
            List<Element> nets = children(net, ns, "Network");
            if (!nets.isEmpty() && attr(nets.get(0), "name") != null) {
                network = attr(nets.get(0), "name");
            }
        }
        Element vs = child(env, "VirtualSystem");
        if (vs == null) {
            throw new IOException("OVF descriptor: no VirtualSystem");
        }
        Element nameEl = child(vs, "Name");
        String name = nameEl != null ? nameEl.getTextContent().strip()
                : Objects.requireNonNullElse(attr(vs, "id"), "");
        int osId = OvfDescriptor.OS_OTHER;
        String osDescription = "";
        Element os = child(vs, "OperatingSystemSection");
        if (os != null) {
            String id = attr(os, "id");
            if (id != null) {
                osId = (int) number(id, "OperatingSystemSection ovf:id");
            }
            Element desc = child(os, "Description");
            osDescription = desc == null ? "" : desc.getTextContent().strip();
        }
        Element hw = child(vs, "VirtualHardwareSection");
        if (hw == null) {
            throw new IOException("OVF descriptor: no VirtualHardwareSection");
        }
        List<Item> items = items(hw);
        int cpus = 1;
        long memoryMiB = 0;
        OvfDescriptor.Cdrom cdrom = null;
        for (Item it : items) {
            int type = type(it);
            String qty = it.get("VirtualQuantity");
            if (type == OvfDescriptor.RT_CPU && qty != null) {
                cpus = (int) number(qty, "CPU VirtualQuantity");
            } else if (type == OvfDescriptor.RT_MEMORY && qty != null) {
                long bytes = Math.multiplyExact(number(qty, "memory VirtualQuantity"),
                        units(Objects.requireNonNullElse(it.get("AllocationUnits"),
                                "byte * 2^20"), "memory"));
                memoryMiB = bytes >> 20;
            } else if (type == OvfDescriptor.RT_ETHERNET && network.isEmpty()
                    && it.get("Connection") != null) {
                network = it.get("Connection");
            } else if ((type == OvfDescriptor.RT_CD || type == 16) && cdrom == null) {
                cdrom = new OvfDescriptor.Cdrom(cdImage(it, hrefById));
            }
        }
        List<OvfDescriptor.Disk> disks = orderedDisks(items);
        return new OvfDescriptor(OVF2_NS.equals(ns) ? "2.0" : "1.0", name, osId, osDescription,
                cpus, memoryMiB, network, List.copyOf(files.values()), disks,
                cdrom, boot(vs, hrefById), state(vs, hrefById, disks));
    }

    private void readDisks(Element env, Map<String, String> hrefById) throws IOException {
        Element ds = child(env, "DiskSection");
        if (ds == null) {
            return;
        }
        for (Element d : children(ds, ns, "Disk")) {
            String id = attr(d, "diskId");
            String fileRef = attr(d, "fileRef");
            String cap = attr(d, "capacity");
            if (id == null || fileRef == null || cap == null) {
                throw new IOException("OVF descriptor: a Disk lacks ovf:diskId, ovf:fileRef"
                        + " or ovf:capacity");
            }
            String href = hrefById.get(fileRef);
            if (href == null) {
                throw new IOException("OVF descriptor: disk " + id + " references file "
                        + fileRef + " which References does not list");
            }
            long capacity = Math.multiplyExact(number(cap, "capacity of disk " + id),
                    units(attr(d, "capacityAllocationUnits"), "disk " + id));
            if (disksById.put(id, new OvfDescriptor.Disk(id, href, capacity,
                    files.get(href).size())) != null) {
                throw new IOException("OVF descriptor: disk " + id + " is listed twice");
            }
        }
    }

    private List<Item> items(Element hw) {
        List<Item> out = new ArrayList<>();
        NodeList nl = hw.getChildNodes();
        for (int i = 0; i < nl.getLength(); i++) {
            if (nl.item(i) instanceof Element e && ns.equals(e.getNamespaceURI())
                    && (e.getLocalName().equals("Item") || e.getLocalName().equals("StorageItem")
                    || e.getLocalName().equals("EthernetPortItem"))) {
                Map<String, String> fields = new HashMap<>();
                NodeList fl = e.getChildNodes();
                for (int k = 0; k < fl.getLength(); k++) {
                    if (fl.item(k) instanceof Element f) {
                        fields.putIfAbsent(f.getLocalName(), f.getTextContent().strip());
                    }
                }
                out.add(new Item(fields, out.size()));
            }
        }
        return out;
    }

    private static int type(Item it) throws IOException {
        String t = it.get("ResourceType");
        return t == null ? -1 : (int) number(t, "ResourceType");
    }

    private String cdImage(Item it, Map<String, String> hrefById) throws IOException {
        String res = it.get("HostResource");
        if (res == null || res.isEmpty()) {
            return null;
        }
        Matcher m = FILE_REF.matcher(res);
        if (!m.matches()) {
            return null; // a host drive ("/dev/cdrom"): no image to carry
        }
        String href = hrefById.get(m.group(1));
        if (href == null) {
            throw new IOException("OVF descriptor: the CD drive references file " + m.group(1)
                    + " which References does not list");
        }
        return href;
    }

    private List<OvfDescriptor.Disk> orderedDisks(List<Item> items) throws IOException {
        Map<String, Item> controllers = new HashMap<>();
        for (Item it : items) {
            int t = type(it);
            if ((t == OvfDescriptor.RT_IDE || t == 6 || t == 20) && it.get("InstanceID") != null) {
                controllers.put(it.get("InstanceID"), it);
            }
        }
        List<Placed> placed = new ArrayList<>();
        Map<String, Boolean> used = new HashMap<>();
        for (Item it : items) {
            if (type(it) != OvfDescriptor.RT_DISK) {
                continue;
            }
            String res = Objects.requireNonNullElse(it.get("HostResource"), "");
            Matcher m = DISK_REF.matcher(res);
            if (!m.matches()) {
                throw new IOException("OVF descriptor: disk item with unsupported HostResource \""
                        + res + "\" (expected ovf:/disk/<id>)");
            }
            OvfDescriptor.Disk d = disksById.get(m.group(1));
            if (d == null) {
                throw new IOException("OVF descriptor: a disk item references disk "
                        + m.group(1) + " which DiskSection does not list");
            }
            if (used.put(d.diskId(), true) != null) {
                throw new IOException("OVF descriptor: disk " + d.diskId()
                        + " is attached twice");
            }
            Item ctl = controllers.get(it.get("Parent"));
            int kind = ctl != null && type(ctl) == OvfDescriptor.RT_IDE ? 0 : 1;
            long ctlAddress = ctl == null ? Long.MAX_VALUE : optNumber(ctl.get("Address"),
                    ctl.index());
            placed.add(new Placed(d, kind, ctlAddress, optNumber(it.get("AddressOnParent"),
                    it.index()), it.index()));
        }
        placed.sort(Comparator.comparingInt(Placed::controllerKind)
                .thenComparingLong(Placed::controllerAddress)
                .thenComparingLong(Placed::address)
                .thenComparingInt(Placed::index));
        List<OvfDescriptor.Disk> out = new ArrayList<>();
        for (Placed p : placed) {
            out.add(p.disk());
        }
        for (OvfDescriptor.Disk d : disksById.values()) {
            if (!used.containsKey(d.diskId())) {
                out.add(d); // listed but not attached: keep it, after the attached ones
            }
        }
        return out;
    }

    private OvfDescriptor.Boot boot(Element vs, Map<String, String> hrefById) throws IOException {
        List<Element> l = children(vs, VMM_NS, "BootSection");
        if (l.isEmpty()) {
            return null;
        }
        Element s = l.get(0);
        String kernel = fileRef(s, "Kernel", hrefById);
        if (kernel == null) {
            throw new IOException("OVF descriptor: vmm:BootSection without a vmm:Kernel");
        }
        List<Element> append = children(s, VMM_NS, "Append");
        return new OvfDescriptor.Boot(kernel, fileRef(s, "Initrd", hrefById),
                append.isEmpty() ? null : append.get(0).getTextContent());
    }

    /** vmm:SavedStateSection: the state file and, per disk in the machine's order, its contents' SHA-256. */
    private OvfDescriptor.SavedState state(Element vs, Map<String, String> hrefById,
                                           List<OvfDescriptor.Disk> disks) throws IOException {
        List<Element> l = children(vs, VMM_NS, "SavedStateSection");
        if (l.isEmpty()) {
            return null;
        }
        Element s = l.get(0);
        String file = fileRef(s, "State", hrefById);
        if (file == null) {
            throw new IOException("OVF descriptor: vmm:SavedStateSection without a vmm:State");
        }
        Map<String, String> byDisk = new java.util.HashMap<>();
        for (Element e : children(s, VMM_NS, "Disk")) {
            String id = attr(e, "diskId");
            String sha = e.getAttributeNS(VMM_NS, "contentSha256");
            if (id == null || !sha.matches("[0-9a-f]{64}")) {
                throw new IOException("OVF descriptor: vmm:SavedStateSection has a vmm:Disk without an"
                        + " ovf:diskId or a SHA-256 (64 hex digits) in vmm:contentSha256");
            }
            byDisk.put(id, sha);
        }
        List<String> digests = new ArrayList<>();
        for (OvfDescriptor.Disk d : disks) {
            String sha = byDisk.remove(d.diskId());
            if (sha == null) {
                throw new IOException("OVF descriptor: vmm:SavedStateSection gives no content digest for"
                        + " disk " + d.diskId());
            }
            digests.add(sha);
        }
        if (!byDisk.isEmpty()) {
            throw new IOException("OVF descriptor: vmm:SavedStateSection names disk(s) " + byDisk.keySet()
                    + " that the machine does not have");
        }
        return new OvfDescriptor.SavedState(file, digests);
    }

    private String fileRef(Element s, String local, Map<String, String> hrefById)
            throws IOException {
        List<Element> l = children(s, VMM_NS, local);
        if (l.isEmpty()) {
            return null;
        }
        String id = attr(l.get(0), "fileRef");
        String href = id == null ? null : hrefById.get(id);
        if (href == null) {
            throw new IOException("OVF descriptor: vmm:" + local + " references file " + id
                    + " which References does not list");
        }
        return href;
    }

    /** Bytes per unit of an OVF/CIM programmatic unit ("byte", "byte * 2^20", "MegaBytes"). */
    static long units(String unit, String what) throws IOException {
        if (unit == null) {
            return 1;
        }
        String u = unit.replaceAll("\\s", "").toLowerCase(Locale.ROOT);
        switch (u) {
            case "byte", "bytes" -> {
                return 1;
            }
            case "kilobytes", "kb" -> {
                return 1L << 10;
            }
            case "megabytes", "mb" -> {
                return 1L << 20;
            }
            case "gigabytes", "gb" -> {
                return 1L << 30;
            }
            default -> {
                Matcher m = POWER.matcher(u);
                if (m.matches()) {
                    long base = Long.parseLong(m.group(1));
                    int exp = Integer.parseInt(m.group(2));
                    long v = 1;
                    for (int i = 0; i < exp; i++) {
                        v = Math.multiplyExact(v, base);
                    }
                    return v;
                }
                throw new IOException("OVF descriptor: unsupported allocation units \"" + unit
                        + "\" for " + what);
            }
        }
    }

    static long number(String s, String what) throws IOException {
        try {
            long v = Long.parseLong(s.strip());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IOException("OVF descriptor: bad number \"" + s + "\" for " + what, e);
        }
    }

    private static long optNumber(String s, long fallback) {
        try {
            return s == null ? fallback : Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private String attr(Element e, String local) {
        if (e.hasAttributeNS(ns, local)) {
            return e.getAttributeNS(ns, local);
        }
        return e.hasAttribute(local) ? e.getAttribute(local) : null;
    }

    private Element child(Element parent, String local) {
        List<Element> l = children(parent, ns, local);
        return l.isEmpty() ? null : l.get(0);
    }

    private static List<Element> children(Element parent, String namespace, String local) {
        List<Element> out = new ArrayList<>();
        NodeList nl = parent.getChildNodes();
        for (int i = 0; i < nl.getLength(); i++) {
            Node n = nl.item(i);
            if (n instanceof Element e && local.equals(e.getLocalName())
                    && namespace.equals(e.getNamespaceURI())) {
                out.add(e);
            }
        }
        return out;
    }
}
