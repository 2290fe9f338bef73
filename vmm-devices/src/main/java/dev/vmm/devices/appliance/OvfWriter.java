package dev.vmm.devices.appliance;

import static dev.vmm.devices.appliance.OvfDescriptor.DISK_SLOTS;
import static dev.vmm.devices.appliance.OvfDescriptor.RASD_NS;
import static dev.vmm.devices.appliance.OvfDescriptor.VMM_NS;
import static dev.vmm.devices.appliance.OvfDescriptor.VSSD_NS;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import javax.xml.XMLConstants;
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

/** Writes an {@link OvfDescriptor} as OVF XML. */
final class OvfWriter {
    private final OvfDescriptor d;
    private final String ns;
    private final Map<String, String> fileIds = new HashMap<>();

    private OvfWriter(OvfDescriptor d) {
        this.d = d;
        this.ns = d.namespace();
    }

    static byte[] write(OvfDescriptor d) throws IOException {
        if (d.disks().size() > OvfDescriptor.MAX_DISKS) {
            throw new IOException("OVF: " + d.disks().size() + " disks; at most "
                    + OvfDescriptor.MAX_DISKS + " fit the IDE channels beside the CD drive");
        }
        OvfWriter w = new OvfWriter(d);
        for (int i = 0; i < d.files().size(); i++) {
            String href = d.files().get(i).href();
            if (w.fileIds.put(href, "file" + (i + 1)) != null) {
                throw new IOException("OVF: file " + href + " is listed twice");
            }
        }
        try {
            return w.toXml();
        } catch (ParserConfigurationException | TransformerException e) {
            throw new IllegalStateException("the JDK's XML support failed", e);
        }
    }

    private String fileId(String href) throws IOException {
        String id = fileIds.get(href);
        if (id == null) {
            throw new IOException("OVF: " + href + " is not among the References files");
        }
        return id;
    }

    private byte[] toXml() throws ParserConfigurationException, TransformerException,
            IOException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().newDocument();
        Element env = doc.createElementNS(ns, "Envelope");
        doc.appendChild(env);
        env.setAttributeNS(XMLConstants.XMLNS_ATTRIBUTE_NS_URI, "xmlns", ns);
        env.setAttributeNS(XMLConstants.XMLNS_ATTRIBUTE_NS_URI, "xmlns:ovf", ns);
        env.setAttributeNS(XMLConstants.XMLNS_ATTRIBUTE_NS_URI, "xmlns:rasd", RASD_NS);
        env.setAttributeNS(XMLConstants.XMLNS_ATTRIBUTE_NS_URI, "xmlns:vssd", VSSD_NS);
        if (d.boot() != null || d.state() != null) {
            env.setAttributeNS(XMLConstants.XMLNS_ATTRIBUTE_NS_URI, "xmlns:vmm", VMM_NS);
        }
        env.setAttributeNS(ns, "ovf:version", d.ovfVersion());

        Element refs = ovf(env, "References");
        for (OvfDescriptor.FileRef file : d.files()) {
            Element e = ovf(refs, "File");
            e.setAttributeNS(ns, "ovf:href", file.href());
            e.setAttributeNS(ns, "ovf:id", fileId(file.href()));
            if (file.size() >= 0) {
                e.setAttributeNS(ns, "ovf:size", Long.toString(file.size()));
            }
        }

        Element diskSection = ovf(env, "DiskSection");
        text(ovf(diskSection, "Info"), "Virtual disk information");
        for (OvfDescriptor.Disk disk : d.disks()) {
            Element e = ovf(diskSection, "Disk");
            e.setAttributeNS(ns, "ovf:capacity", Long.toString(disk.capacityBytes()));
            e.setAttributeNS(ns, "ovf:capacityAllocationUnits", "byte");
            e.setAttributeNS(ns, "ovf:diskId", disk.diskId());
            e.setAttributeNS(ns, "ovf:fileRef", fileId(disk.href()));
            e.setAttributeNS(ns, "ovf:format", OvfDescriptor.STREAM_OPTIMIZED_FORMAT);
        }

        if (!d.network().isEmpty()) {
            Element net = ovf(env, "NetworkSection");
            text(ovf(net, "Info"), "The list of logical networks");
            Element n = ovf(net, "Network");
            n.setAttributeNS(ns, "ovf:name", d.network());
            text(ovf(n, "Description"), "The " + d.network() + " network");
        }

        Element vs = ovf(env, "VirtualSystem");
        vs.setAttributeNS(ns, "ovf:id", d.name());
        text(ovf(vs, "Info"), "A virtual machine");
        text(ovf(vs, "Name"), d.name());
        Element os = ovf(vs, "OperatingSystemSection");
        os.setAttributeNS(ns, "ovf:id", Integer.toString(d.osId()));
        text(ovf(os, "Info"), "The kind of installed guest operating system");
        text(ovf(os, "Description"), d.osDescription());
        hardware(vs);
        if (d.boot() != null) {
            boot(vs);
        }
        if (d.state() != null) {
            state(vs);
        }
        return serialize(doc);
    }

    private void hardware(Element vs) throws IOException {
        Element hw = ovf(vs, "VirtualHardwareSection");
        text(ovf(hw, "Info"), "Virtual hardware requirements");
        Element sys = ovf(hw, "System");
        text(el(sys, VSSD_NS, "vssd:ElementName"), "Virtual Hardware Family");
        text(el(sys, VSSD_NS, "vssd:InstanceID"), "0");
        text(el(sys, VSSD_NS, "vssd:VirtualSystemIdentifier"), d.name());
        text(el(sys, VSSD_NS, "vssd:VirtualSystemType"), OvfDescriptor.SYSTEM_TYPE);

        int id = 1;
        item(hw, new String[][] {
            {"AllocationUnits", "hertz * 10^6"},
            {"Description", "Number of Virtual CPUs"},
            {"ElementName", d.cpus() + " virtual CPU(s)"},
            {"InstanceID", Integer.toString(id++)},
            {"ResourceType", Integer.toString(OvfDescriptor.RT_CPU)},
            {"VirtualQuantity", Integer.toString(d.cpus())}});
        item(hw, new String[][] {
            {"AllocationUnits", "byte * 2^20"},
            {"Description", "Memory Size"},
            {"ElementName", d.memoryMiB() + "MB of memory"},
            {"InstanceID", Integer.toString(id++)},
            {"ResourceType", Integer.toString(OvfDescriptor.RT_MEMORY)},
            {"VirtualQuantity", Long.toString(d.memoryMiB())}});
        int[] ide = new int[2];
        for (int c = 0; c < 2; c++) {
            ide[c] = id++;
            item(hw, new String[][] {
                {"Address", Integer.toString(c)},
                {"Description", "IDE Controller"},
                {"ElementName", "ideController" + c},
                {"InstanceID", Integer.toString(ide[c])},
                {"ResourceSubType", "PIIX4"},
                {"ResourceType", Integer.toString(OvfDescriptor.RT_IDE)}});
        }
        if (!d.network().isEmpty()) {
            item(hw, new String[][] {
                {"AddressOnParent", "0"},
                {"AutomaticAllocation", "true"},
                {"Connection", d.network()},
                {"Description", "E1000 ethernet adapter on \"" + d.network() + "\""},
                {"ElementName", "ethernet0"},
                {"InstanceID", Integer.toString(id++)},
                {"ResourceSubType", "E1000"},
                {"ResourceType", Integer.toString(OvfDescriptor.RT_ETHERNET)}});
        }
        if (d.cdrom() != null) {
            String href = d.cdrom().href();
            item(hw, new String[][] {
                {"AddressOnParent", "0"},
                {"AutomaticAllocation", href != null ? "true" : "false"},
                {"ElementName", "cdrom0"},
                {"HostResource", href != null ? "ovf:/file/" + fileId(href) : null},
                {"InstanceID", Integer.toString(id++)},
                {"Parent", Integer.toString(ide[1])},
                {"ResourceType", Integer.toString(OvfDescriptor.RT_CD)}});
        }
        for (int i = 0; i < d.disks().size(); i++) {
            item(hw, new String[][] {
                {"AddressOnParent", Integer.toString(DISK_SLOTS[i][1])},
                {"ElementName", "disk" + i},
                {"HostResource", "ovf:/disk/" + d.disks().get(i).diskId()},
                {"InstanceID", Integer.toString(id++)},
                {"Parent", Integer.toString(ide[DISK_SLOTS[i][0]])},
                {"ResourceType", Integer.toString(OvfDescriptor.RT_DISK)}});
        }
    }

    private void boot(Element vs) throws IOException {
        OvfDescriptor.Boot b = d.boot();
        Element s = el(vs, VMM_NS, "vmm:BootSection");
        s.setAttributeNS(ns, "ovf:required", "false");
        text(ovf(s, "Info"), "Direct Linux kernel boot of vmm");
        el(s, VMM_NS, "vmm:Kernel").setAttributeNS(ns, "ovf:fileRef", fileId(b.kernelHref()));
        if (b.initrdHref() != null) {
            el(s, VMM_NS, "vmm:Initrd").setAttributeNS(ns, "ovf:fileRef",
                    fileId(b.initrdHref()));
        }
        if (b.append() != null) {
            text(el(s, VMM_NS, "vmm:Append"), b.append());
        }
    }

    private void state(Element vs) throws IOException {
        OvfDescriptor.SavedState st = d.state();
        if (st.diskContents().size() != d.disks().size()) {
            throw new IOException("OVF: the saved state names " + st.diskContents().size()
                    + " disk digest(s) for " + d.disks().size() + " disk(s)");
        }
        Element s = el(vs, VMM_NS, "vmm:SavedStateSection");
        s.setAttributeNS(ns, "ovf:required", "false");
        text(ovf(s, "Info"), "Saved state of a suspended vmm VM: it resumes where it was");
        el(s, VMM_NS, "vmm:State").setAttributeNS(ns, "ovf:fileRef", fileId(st.href()));
        for (int i = 0; i < d.disks().size(); i++) {
            Element e = el(s, VMM_NS, "vmm:Disk");
            e.setAttributeNS(ns, "ovf:diskId", d.disks().get(i).diskId());
            e.setAttributeNS(VMM_NS, "vmm:contentSha256", st.diskContents().get(i));
        }
    }

    private static byte[] serialize(Document doc) throws TransformerException {
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
    }

    private void item(Element hw, String[][] fields) {
        Element item = ovf(hw, "Item");
        for (String[] f : fields) {
            if (f[1] != null) {
                text(el(item, RASD_NS, "rasd:" + f[0]), f[1]);
            }
        }
    }

    private Element ovf(Element parent, String local) {
        return el(parent, ns, local);
    }

    private static Element el(Element parent, String namespace, String qname) {
        Element e = parent.getOwnerDocument().createElementNS(namespace, qname);
        parent.appendChild(e);
        return e;
    }

    private static void text(Element e, String s) {
        e.setTextContent(s);
    }
}
