-- Wireshark dissector for SGP v1 outer frames (spec/sgp-v1.md §7.4, §7.6, §7.10, §8.1, §9).
--
-- Shows what a passive observer sees: the carrier, the message type, the
-- handshake fields (sender node, indices, ephemeral key, MACs), the data
-- message header (flags, receiver index, counter) and the fragment header
-- (msg id, index, count, total length).  Payloads stay opaque: they are
-- AEAD ciphertext.  LSB carrier frames (PGM, WAV) are only labelled; their
-- hidden datagram is not extracted here.
--
-- Use:  wireshark -X lua_script:tools/wireshark/sgp.lua
--       tshark -X lua_script:tools/wireshark/sgp.lua -d udp.port==41000,sgp -r cap.pcap
-- The UDP port range is a preference (default 41000-41999, the test clusters' range).

local sgp = Proto("sgp", "Suspicion Gossip Protocol v1")

local types = { [1] = "initiation", [2] = "response", [3] = "cookie reply", [4] = "data" }
local carriers = { raw = "raw", pgm = "lsb-pgm", wav = "lsb-wav" }

local f = {
  carrier = ProtoField.string("sgp.carrier", "Carrier"),
  type = ProtoField.uint8("sgp.type", "Type", base.DEC, types),
  reserved = ProtoField.bytes("sgp.reserved", "Reserved"),
  flags = ProtoField.uint8("sgp.flags", "Flags", base.HEX),
  flag_aont = ProtoField.bool("sgp.flags.aont", "AONT", 8, nil, 0x01),
  flag_parity = ProtoField.bool("sgp.flags.parity", "Parity", 8, nil, 0x02),
  sender_node = ProtoField.uint32("sgp.sender_node", "Sender node", base.DEC),
  sender_index = ProtoField.uint32("sgp.sender_index", "Sender index", base.HEX),
  receiver_index = ProtoField.uint32("sgp.receiver_index", "Receiver index", base.HEX),
  ephemeral = ProtoField.bytes("sgp.ephemeral", "Ephemeral public key"),
  encrypted = ProtoField.bytes("sgp.encrypted", "Encrypted payload"),
  payload_len = ProtoField.uint32("sgp.payload_len", "Inner payload length", base.DEC),
  mac1 = ProtoField.bytes("sgp.mac1", "mac1"),
  mac2 = ProtoField.bytes("sgp.mac2", "mac2"),
  nonce = ProtoField.bytes("sgp.nonce", "Nonce"),
  cookie = ProtoField.bytes("sgp.cookie", "Encrypted cookie"),
  counter = ProtoField.uint64("sgp.counter", "Counter", base.DEC),
  msg_id = ProtoField.uint32("sgp.frag.msg_id", "Message id", base.DEC),
  frag_index = ProtoField.uint8("sgp.frag.index", "Fragment index", base.DEC),
  frag_count = ProtoField.uint8("sgp.frag.count", "Fragment count", base.DEC),
  total_len = ProtoField.uint32("sgp.frag.total_len", "Message length", base.DEC),
  keepalive = ProtoField.bool("sgp.keepalive", "Keepalive"),
}
sgp.fields = f

local e_malformed = ProtoExpert.new("sgp.malformed", "Malformed SGP frame", expert.group.MALFORMED,
                                    expert.severity.ERROR)
sgp.experts = { e_malformed }

sgp.prefs.ports = Pref.range("UDP ports", "41000-41999", "UDP ports carrying SGP", 65535)

-- Minimum lengths of §7.4, §7.6 and §7.10 (payload G or L = 0), and the
-- 1200-byte cap of SGP-XPORT-12.
local min_len = { [1] = 100, [2] = 92, [3] = 64, [4] = 42 }
local DGRAM_MAX = 1200
local FRAG_DATA = 1158        -- §8.1: 1200 - 26 header - 16 tag
local FRAG_COUNT_MAX = 228    -- 227 data + 1 parity
local MESSAGE_MAX = 262176    -- SGP_MAX_PACKET + 32 (AONT key block)

local function bad(tree, pinfo, msg)
  tree:add_proto_expert_info(e_malformed, msg)
  pinfo.cols.info:append(" [" .. msg .. "]")
end

local function initiation(buf, tree, pinfo)
  local g = buf:len() - 100
  tree:add(f.reserved, buf(1, 3))
  tree:add(f.sender_node, buf(4, 4))
  tree:add(f.sender_index, buf(8, 4))
  tree:add(f.ephemeral, buf(12, 32))
  tree:add(f.encrypted, buf(44, 24 + g))
  tree:add(f.payload_len, g):set_generated()
  tree:add(f.mac1, buf(68 + g, 16))
  tree:add(f.mac2, buf(84 + g, 16))
  pinfo.cols.info:append(string.format(" node=%d index=0x%08x syn=%d", buf(4, 4):uint(),
                                       buf(8, 4):uint(), g))
end

local function response(buf, tree, pinfo)
  local g = buf:len() - 92
  tree:add(f.reserved, buf(1, 3))
  tree:add(f.sender_index, buf(4, 4))
  tree:add(f.receiver_index, buf(8, 4))
  tree:add(f.ephemeral, buf(12, 32))
  tree:add(f.encrypted, buf(44, 16 + g))
  tree:add(f.payload_len, g):set_generated()
  tree:add(f.mac1, buf(60 + g, 16))
  tree:add(f.mac2, buf(76 + g, 16))
  pinfo.cols.info:append(string.format(" index=0x%08x to=0x%08x ack=%d", buf(4, 4):uint(),
                                       buf(8, 4):uint(), g))
end

local function cookie_reply(buf, tree, pinfo)
  if buf:len() ~= 64 then return bad(tree, pinfo, "cookie reply must be 64 bytes") end
  tree:add(f.reserved, buf(1, 3))
  tree:add(f.receiver_index, buf(4, 4))
  tree:add(f.nonce, buf(8, 24))
  tree:add(f.cookie, buf(32, 32))
  pinfo.cols.info:append(string.format(" to=0x%08x", buf(4, 4):uint()))
end

local function data(buf, tree, pinfo)
  local fl = tree:add(f.flags, buf(1, 1))
  fl:add(f.flag_aont, buf(1, 1))
  fl:add(f.flag_parity, buf(1, 1))
  tree:add(f.reserved, buf(2, 2))
  tree:add(f.receiver_index, buf(4, 4))
  tree:add(f.counter, buf(8, 8))
  local count = buf(21, 1):uint()
  local fh = tree:add(sgp, buf(16, 10), "Fragment header")
  fh:add(f.msg_id, buf(16, 4))
  fh:add(f.frag_index, buf(20, 1))
  fh:add(f.frag_count, buf(21, 1))
  fh:add(f.total_len, buf(22, 4))
  tree:add(f.encrypted, buf(26))
  local ka = count == 0 and buf:len() == 42
  tree:add(f.keepalive, ka):set_generated()
  -- §8.1 / SGP-XPORT-32: what a passive observer can check in the clear header
  -- (all of it is AEAD associated data, so a receiver drops the rest anyway).
  local fl_v, idx, mid, total = buf(1, 1):uint(), buf(20, 1):uint(), buf(16, 4):uint(),
                                buf(22, 4):uint()
  local plen = buf:len() - 42
  if buf(2, 2):uint() ~= 0 then
    bad(tree, pinfo, "reserved bytes not zero")
  elseif bit32.band(fl_v, 0xfc) ~= 0 or (bit32.band(fl_v, 0x02) ~= 0 and bit32.band(fl_v, 0x01) == 0) then
    bad(tree, pinfo, "undefined flags")
  elseif count == 0 then
    if not (ka and fl_v == 0 and mid == 0 and idx == 0 and total == 0) then
      bad(tree, pinfo, "frag_count 0 but not a keepalive")
    end
  elseif mid == 0 then
    bad(tree, pinfo, "msg_id 0 outside a keepalive")
  elseif idx >= count then
    bad(tree, pinfo, "frag_index not below frag_count")
  elseif count > FRAG_COUNT_MAX or total == 0 or total > MESSAGE_MAX then
    bad(tree, pinfo, "fragment count or message length out of range")
  else
    local k = count - (bit32.band(fl_v, 0x02) ~= 0 and 1 or 0)
    local want
    if k ~= math.ceil(total / FRAG_DATA) then
      want = -1
    elseif idx < k then
      want = math.min(FRAG_DATA, total - FRAG_DATA * idx)
    else
      want = math.min(FRAG_DATA, total) -- the parity fragment
    end
    if want ~= plen then
      bad(tree, pinfo, "fragment length does not match count and total length")
    end
  end
  if ka then
    pinfo.cols.info:append(string.format(" keepalive ctr=%s", buf(8, 8):uint64()))
  else
    pinfo.cols.info:append(string.format(" to=0x%08x ctr=%s msg=%d frag=%d/%d len=%d",
                                         buf(4, 4):uint(), buf(8, 8):uint64(), buf(16, 4):uint(),
                                         buf(20, 1):uint(), count, buf(22, 4):uint()))
  end
end

local handlers = { [1] = initiation, [2] = response, [3] = cookie_reply, [4] = data }

function sgp.dissector(buf, pinfo, root)
  if buf:len() < 1 then return 0 end
  pinfo.cols.protocol = "SGP"
  local tree = root:add(sgp, buf(), "SGP v1")
  local first = buf(0, 1):uint()
  if buf:len() >= 2 and buf(0, 2):string() == "P5" then
    tree:add(f.carrier, carriers.pgm)
    pinfo.cols.info = "lsb-pgm carrier frame (hidden datagram not extracted)"
    return buf:len()
  end
  if buf:len() >= 4 and buf(0, 4):string() == "RIFF" then
    tree:add(f.carrier, carriers.wav)
    pinfo.cols.info = "lsb-wav carrier frame (hidden datagram not extracted)"
    return buf:len()
  end
  tree:add(f.carrier, carriers.raw)
  tree:add(f.type, buf(0, 1))
  local name = types[first]
  if name == nil then
    pinfo.cols.info = "unknown type"
    bad(tree, pinfo, "type outside 1..4")
    return buf:len()
  end
  pinfo.cols.info = name
  if buf:len() > DGRAM_MAX then
    bad(tree, pinfo, "longer than 1200 bytes")
    return buf:len()
  end
  if buf:len() < min_len[first] then
    bad(tree, pinfo, "shorter than the minimum of its type")
    return buf:len()
  end
  handlers[first](buf, tree, pinfo)
  if first ~= 4 and buf(1, 3):uint() ~= 0 then bad(tree, pinfo, "reserved bytes not zero") end
  return buf:len()
end

-- Register on the preference's ports, and re-register when it changes.
local registered = nil
local function register_ports()
  local udp = DissectorTable.get("udp.port")
  if registered then udp:remove(registered, sgp) end
  registered = sgp.prefs.ports
  udp:add(registered, sgp)
end
function sgp.prefs_changed() register_ports() end
register_ports()
