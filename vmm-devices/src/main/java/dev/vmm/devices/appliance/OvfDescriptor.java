package dev.vmm.devices.appliance;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
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
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * An OVF 1.x descriptor: the virtual machine of an appliance (name, guest OS, CPUs, memory, the
 * network it attaches to, its disks) and its XML form.
 *
 * <p>{@link #toXml()} writes an {@code Envelope} in the DMTF OVF namespace with
 * {@code References} (a File per disk with its size), {@code DiskSection} (capacity in bytes,
 * format streamOptimized VMDK), {@code NetworkSection} and one {@code VirtualSystem} with an
 * {@code OperatingSystemSection} and a {@code VirtualHardwareSection} (System type
 * {@value #SYSTEM_TYPE}; RASD items CPU = 3, memory = 4 in {@code byte * 2^20}, IDE controller
 * = 5, Ethernet = 10 (E1000) with its Connection, disk = 17 under the IDE controller).
 * {@link #parse(byte[])} reads that back, and the descriptors other tools write (capacities with
 * {@code capacityAllocationUnits}, memory in other units; unknown sections ignored).
 *
 * @param name         the virtual system's name
 * @param osId         the CIM_OperatingSystem OsType: see {@link #OS_OTHER}, {@link #OS_LINUX},
 *                     {@link #OS_LINUX_64}, {@link #OS_OTHER_64}
 * @param osDescription free text for the OS (may be empty)
 * @param cpus         virtual CPUs
 * @param memoryMiB    memory in MiB
 * @param network      the logical network name the Ethernet adapter connects to
 * @param disks        the disks, in the order of {@code References}
 */
public record OvfDescriptor(String name, int osId, String osDescription, int cpus,
                            long memoryMiB, String network, List<Disk> disks) {
    public static final String OVF_NS = "http://schemas.dmtf.org/ovf/envelope/1";
    public static final String RASD_NS =
            "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData";
    public static final String VSSD_NS =
            "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData";
    public static final String STREAM_OPTIMIZED_FORMAT =
            "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized";
    public static final String SYSTEM_TYPE = "vmx-07";

    /** CIM OsType 1: Other. */
    public static final int OS_OTHER = 1;
    /** CIM OsType 36: LINUX. */
    public static final int OS_LINUX = 36;
    /** CIM OsType 101: Linux 64-Bit. */
    public static final int OS_LINUX_64 = 101;
    /** CIM OsType 102: Other 64-Bit. */
    public static final int OS_OTHER_64 = 102;

    private static final int RT_CPU = 3;
    private static final int RT_MEMORY = 4;
    private static final int RT_IDE = 5;
    private static final int RT_ETHERNET = 10;
    private static final int RT_DISK = 17;

    /**
     * One disk.
     *
     * @param diskId        the DiskSection id ({@code vmdisk1}, ...)
     * @param href          the file name inside the OVA
     * @param capacityBytes the virtual size
     * @param fileSize      the size of the file in the OVA
     */
    public record Disk(String diskId, String href, long capacityBytes, long fileSize) {
        public Disk {
            Objects.requireNonNull(diskId);
            Objects.requireNonNull(href);
        }
    }

    public OvfDescriptor {
        Objects.requireNonNull(name);
        Objects.requireNonNull(osDescription);
        Objects.requireNonNull(network);
        disks = List.copyOf(disks);
    }

    /** A builder starting from defaults: Linux 64-bit, 1 CPU, 512 MiB, network "NAT". */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Builds a descriptor; {@link #disk} is called once per disk in order. */
    public static final class Builder {
        private final String name;
        private int osId = OS_LINUX_64;
        private String osDescription = "Linux 64-bit";
        private int cpus = 1;
        private long memoryMiB = 512;
        private String network = "NAT";
        private final List<Disk> disks = new ArrayList<>();

        private Builder(String name) {
            this.name = Objects.requireNonNull(name);
        }

        public Builder os(int id, String description) {
            this.osId = id;
            this.osDescription = description;
            return this;
        }

        public Builder cpus(int n) {
            this.cpus = n;
            return this;
        }

        public Builder memoryMiB(long mib) {
            this.memoryMiB = mib;
            return this;
        }

        public Builder network(String n) {
            this.network = n;
            return this;
        }

        /** Adds disk number {@code n = count + 1} as {@code vmdisk<n>}. */
        public Builder disk(String href, long capacityBytes, long fileSize) {
            disks.add(new Disk("vmdisk" + (disks.size() + 1), href, capacityBytes, fileSize));
            return this;
        }

        public String name() {
            return name;
        }

        public OvfDescriptor build() {
            return new OvfDescriptor(name, osId, osDescription, cpus, memoryMiB, network, disks);
        }
    }

    // ---- writing

    /** The descriptor as an OVF 1.0 XML document (UTF-8). */
    public byte[] toXml() {
        try {
            Document doc = newBuilder().newDocument();
            Element env = doc.createElementNS(OVF_NS, "Envelope");
            doc.appendChild(env);
            env.setAttributeNS(XMLConstants.XMLNS_ATTRIBUTE_NS_URI, "xmlns", OVF_NS);
            env.setAttributeNS(XMLConstants.XMLNS_ATTRIBUTE_NS_URI, "xmlns:ovf", OVF_NS);
            env.setAttributeNS(XMLConstants.XMLNS_ATTRIBUTE_NS_URI, "xmlns:rasd", RASD_NS);
            env.setAttributeNS(XMLConstants.XMLNS_ATTRIBUTE_NS_URI, "xmlns:vssd", VSSD_NS);
            env.setAttributeNS(OVF_NS, "ovf:version", "1.0");

            Element refs = ovf(env, "References");
            for (int i = 0; i < disks.size(); i++) {
                Disk d = disks.get(i);
                Element f = ovf(refs, "File");
                f.setAttributeNS(OVF_NS, "ovf:href", d.href());
                f.setAttributeNS(OVF_NS, "ovf:id", "file" + (i + 1));
                f.setAttributeNS(OVF_NS, "ovf:size", Long.toString(d.fileSize()));
            }

            Element diskSection = ovf(env, "DiskSection");
            text(ovf(diskSection, "Info"), "Virtual disk information");
            for (int i = 0; i < disks.size(); i++) {
                Disk d = disks.get(i);
                Element e = ovf(diskSection, "Disk");
                e.setAttributeNS(OVF_NS, "ovf:capacity", Long.toString(d.capacityBytes()));
                e.setAttributeNS(OVF_NS, "ovf:capacityAllocationUnits", "byte");
                e.setAttributeNS(OVF_NS, "ovf:diskId", d.diskId());
                e.setAttributeNS(OVF_NS, "ovf:fileRef", "file" + (i + 1));
                e.setAttributeNS(OVF_NS, "ovf:format", STREAM_OPTIMIZED_FORMAT);
            }

            Element net = ovf(env, "NetworkSection");
            text(ovf(net, "Info"), "The list of logical networks");
            Element n = ovf(net, "Network");
            n.setAttributeNS(OVF_NS, "ovf:name", network);
            text(ovf(n, "Description"), "The " + network + " network");

            Element vs = ovf(env, "VirtualSystem");
            vs.setAttributeNS(OVF_NS, "ovf:id", name);
            text(ovf(vs, "Info"), "A virtual machine");
            text(ovf(vs, "Name"), name);
            Element os = ovf(vs, "OperatingSystemSection");
            os.setAttributeNS(OVF_NS, "ovf:id", Integer.toString(osId));
            text(ovf(os, "Info"), "The kind of installed guest operating system");
            text(ovf(os, "Description"), osDescription);

            Element hw = ovf(vs, "VirtualHardwareSection");
            text(ovf(hw, "Info"), "Virtual hardware requirements");
            Element sys = ovf(hw, "System");
            text(el(sys, VSSD_NS, "vssd:ElementName"), "Virtual Hardware Family");
            text(el(sys, VSSD_NS, "vssd:InstanceID"), "0");
            text(el(sys, VSSD_NS, "vssd:VirtualSystemIdentifier"), name);
            text(el(sys, VSSD_NS, "vssd:VirtualSystemType"), SYSTEM_TYPE);

            int id = 1;
            item(hw, new String[][] {
                {"AllocationUnits", "hertz * 10^6"},
                {"Description", "Number of Virtual CPUs"},
                {"ElementName", cpus + " virtual CPU(s)"},
                {"InstanceID", Integer.toString(id++)},
                {"ResourceType", Integer.toString(RT_CPU)},
                {"VirtualQuantity", Integer.toString(cpus)}});
            item(hw, new String[][] {
                {"AllocationUnits", "byte * 2^20"},
                {"Description", "Memory Size"},
                {"ElementName", memoryMiB + "MB of memory"},
                {"InstanceID", Integer.toString(id++)},
                {"ResourceType", Integer.toString(RT_MEMORY)},
                {"VirtualQuantity", Long.toString(memoryMiB)}});
            int ide = id++;
            item(hw, new String[][] {
                {"Address", "0"},
                {"Description", "IDE Controller"},
                {"ElementName", "ideController0"},
                {"InstanceID", Integer.toString(ide)},
                {"ResourceSubType", "PIIX4"},
                {"ResourceType", Integer.toString(RT_IDE)}});
            item(hw, new String[][] {
                {"AddressOnParent", "0"},
                {"AutomaticAllocation", "true"},
                {"Connection", network},
                {"Description", "E1000 ethernet adapter on \"" + network + "\""},
                {"ElementName", "ethernet0"},
                {"InstanceID", Integer.toString(id++)},
                {"ResourceSubType", "E1000"},
                {"ResourceType", Integer.toString(RT_ETHERNET)}});
            for (int i = 0; i < disks.size(); i++) {
                item(hw, new String[][] {
                    {"AddressOnParent", Integer.toString(i)},
                    {"ElementName", "disk" + i},
                    {"HostResource", "ovf:/disk/" + disks.get(i).diskId()},
                    {"InstanceID", Integer.toString(id++)},
                    {"Parent", Integer.toString(ide)},
                    {"ResourceType", Integer.toString(RT_DISK)}});
            }

            Transformer t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            t.setOutputProperty(OutputKeys.INDENT, "yes");
            t.setOutputProperty("{http://xml.apache.org/xslt}indent-amount", "2");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            // written by hand: the JDK's transformer puts the root element on the same line
            out.writeBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    .getBytes(StandardCharsets.UTF_8));
            t.transform(new DOMSource(doc), new StreamResult(out));
            return out.toByteArray();
        } catch (ParserConfigurationException | TransformerException e) {
            throw new IllegalStateException("the JDK's XML support failed", e);
        }
    }

    private static void item(Element hw, String[][] fields) {
        Element item = ovf(hw, "Item");
        for (String[] f : fields) {
            text(el(item, RASD_NS, "rasd:" + f[0]), f[1]);
        }
    }

    private static Element ovf(Element parent, String local) {
        return el(parent, OVF_NS, local);
    }

    private static Element el(Element parent, String ns, String qname) {
        Element e = parent.getOwnerDocument().createElementNS(ns, qname);
        parent.appendChild(e);
        return e;
    }

    private static void text(Element e, String s) {
        e.setTextContent(s);
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

    // ---- reading

    /**
     * Parses an OVF descriptor. Refuses a document that does not parse, is not an OVF
     * {@code Envelope}, has no VirtualSystem, or whose disks reference missing files.
     */
    public static OvfDescriptor parse(byte[] xml) throws IOException {
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
        if (!"Envelope".equals(env.getLocalName()) || !OVF_NS.equals(env.getNamespaceURI())) {
            throw new IOException("OVF descriptor: root element is not an Envelope in "
                    + OVF_NS);
        }
        Map<String, String[]> files = new HashMap<>();
        Element refs = child(env, "References");
        if (refs != null) {
            for (Element f : children(refs, OVF_NS, "File")) {
                String id = attr(f, "id");
                String href = attr(f, "href");
                if (id == null || href == null) {
                    throw new IOException("OVF descriptor: a References/File lacks ovf:id or"
                            + " ovf:href");
                }
                files.put(id, new String[] {href, attr(f, "size")});
            }
        }
        List<Disk> disks = new ArrayList<>();
        Element ds = child(env, "DiskSection");
        if (ds != null) {
            for (Element d : children(ds, OVF_NS, "Disk")) {
                String id = attr(d, "diskId");
                String fileRef = attr(d, "fileRef");
                String cap = attr(d, "capacity");
                if (id == null || fileRef == null || cap == null) {
                    throw new IOException("OVF descriptor: a Disk lacks ovf:diskId, ovf:fileRef"
                            + " or ovf:capacity");
                }
                String[] file = files.get(fileRef);
                if (file == null) {
                    throw new IOException("OVF descriptor: disk " + id + " references file "
                            + fileRef + " which References does not list");
                }
                long capacity = number(cap, "capacity of disk " + id)
                        * units(attr(d, "capacityAllocationUnits"), "disk " + id);
                long size = file[1] == null ? -1 : number(file[1], "size of " + file[0]);
                disks.add(new Disk(id, file[0], capacity, size));
            }
        }
        Element net = child(env, "NetworkSection");
        String network = "";
        if (net != null) {
            List<Element> nets = children(net, OVF_NS, "Network");
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
        int osId = OS_OTHER;
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
        int cpus = 1;
        long memoryMiB = 0;
        Element hw = child(vs, "VirtualHardwareSection");
        if (hw == null) {
            throw new IOException("OVF descriptor: no VirtualHardwareSection");
        }
        for (Element item : children(hw, OVF_NS, "Item")) {
            String type = rasd(item, "ResourceType");
            String qty = rasd(item, "VirtualQuantity");
            if (type == null || qty == null) {
                continue;
            }
            int t = (int) number(type, "ResourceType");
            if (t == RT_CPU) {
                cpus = (int) number(qty, "CPU VirtualQuantity");
            } else if (t == RT_MEMORY) {
                long bytes = number(qty, "memory VirtualQuantity")
                        * units(Objects.requireNonNullElse(rasd(item, "AllocationUnits"),
                        "byte * 2^20"), "memory");
                memoryMiB = bytes >> 20;
            }
        }
        return new OvfDescriptor(name, osId, osDescription, cpus, memoryMiB, network, disks);
    }

    private static final Pattern POWER = Pattern.compile("byte\\*(\\d+)\\^(\\d+)");

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

    private static long number(String s, String what) throws IOException {
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

    private static String attr(Element e, String local) {
        if (e.hasAttributeNS(OVF_NS, local)) {
            return e.getAttributeNS(OVF_NS, local);
        }
        return e.hasAttribute(local) ? e.getAttribute(local) : null;
    }

    private static String rasd(Element item, String local) {
        List<Element> l = children(item, RASD_NS, local);
        return l.isEmpty() ? null : l.get(0).getTextContent().strip();
    }

    private static Element child(Element parent, String local) {
        List<Element> l = children(parent, OVF_NS, local);
        return l.isEmpty() ? null : l.get(0);
    }

    private static List<Element> children(Element parent, String ns, String local) {
        List<Element> out = new ArrayList<>();
        NodeList nl = parent.getChildNodes();
        for (int i = 0; i < nl.getLength(); i++) {
            Node n = nl.item(i);
            if (n instanceof Element e && local.equals(e.getLocalName())
                    && ns.equals(e.getNamespaceURI())) {
                out.add(e);
            }
        }
        return out;
    }
}
