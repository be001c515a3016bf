# check_seams.cmake — the seams between the rooms, checked on the sources and on the build.
#
#   cmake -DSRC=<source dir> -DBIN=<build dir> [-DPROPS=<nfsdk properties file>] -P check_seams.cmake
#
# Rules (STYLE.md "Seams"; issue #15):
#  1. common/ includes nothing of ours outside common/: it is the shared ABI every process builds
#     against (fm_shm.h and the layouts it includes).
#  2. No file outside common/ and flowmgr/ includes a flowmgr header — with one kind of exception:
#     the unit tests and the benchmark of a flowmgr wing test that wing's own API, so they may
#     include the headers of that wing and of the wings its API is built on (ALLOW below; the
#     flow layer's API takes a chain and filters from cls/, the config parser fills a chain).
#     The in-process tests of the TCP context and the vnf/ wing (tests/integration/tcp, vnf)
#     drive those wings through their API, which takes flowmgr's process struct: they may use
#     flowmgr's own headers too ("*"); so does the TCP context's fuzz harness. The
#     allocation-failure loop (tests/unit/fault) and the config and seq-map harnesses test the
#     pure wings they name.
#  3. The build agrees: no compile command of a file outside common/, flowmgr/ and ALLOW has a
#     flowmgr include path; no program outside them links a flowmgr library; nfsdk's own link
#     libraries and include directories name no flowmgr library or directory.
#  4. No include circles between files (header A includes B includes ... A).
# A violation prints the file and what it includes or links, and the test fails.

cmake_minimum_required(VERSION 3.20)

if(NOT SRC OR NOT BIN)
  message(FATAL_ERROR "usage: cmake -DSRC=<src> -DBIN=<build> [-DPROPS=<file>] -P check_seams.cmake")
endif()

set(ALLOW
    "tests/unit/cls=cls"
    "tests/unit/offload=offload,cls,config"
    "tests/unit/flow=flow,cls"
    "tests/unit/tcp=tcp"
    "tests/unit/config=config,cls"
    "tests/unit/frag=frag,config,cls"
    "bench/classify=cls"
    "bench/flowtable=flow,cls"
    "tests/integration/tcp=*"
    "tests/integration/vnf=*"
    "tests/integration/frag=frag"
    "tests/unit/fault=config,cls,tcp"
    "tests/fuzz/config=config,cls"
    "tests/fuzz/seqmap=tcp"
    "tests/fuzz/tcp=*")
set(TOPS common flowmgr nfsdk nfs nfctl proto tests bench)
set(FAILS "")

macro(seam_fail msg)
  string(APPEND FAILS "  ${msg}\n")
endmacro()

# The flowmgr wings `rel` (a path relative to SRC) may use: "" if none, "*" for flowmgr itself.
function(wings_of rel out)
  set(w "")
  if(rel MATCHES "^(common|flowmgr)/")
    set(w "*")
  endif()
  foreach(a ${ALLOW})
    string(REPLACE "=" ";" kv "${a}")
    list(GET kv 0 dir)
    list(GET kv 1 ws)
    string(LENGTH "${dir}/" n)
    string(SUBSTRING "${rel}" 0 ${n} head)
    if(head STREQUAL "${dir}/")
      string(REPLACE "," ";" w "${ws}")
    endif()
  endforeach()
  set(${out} "${w}" PARENT_SCOPE)
endfunction()

# ---- the project's headers, and the wing of each flowmgr header ------------------------------
set(FILES "")
foreach(top ${TOPS})
  file(GLOB_RECURSE f RELATIVE ${SRC} ${SRC}/${top}/*.c ${SRC}/${top}/*.h)
  list(APPEND FILES ${f})
endforeach()
set(HEADERS "")
foreach(f ${FILES})
  if(f MATCHES "\\.h$")
    get_filename_component(name ${f} NAME)
    if(DEFINED "HDR_${name}")
      seam_fail("two headers named ${name}: ${HDR_${name}} and ${f} (includes would be ambiguous)")
    endif()
    set("HDR_${name}" ${f})
    list(APPEND HEADERS ${f})
  endif()
endforeach()
list(LENGTH HEADERS nb_headers)
if(nb_headers LESS 20 OR NOT DEFINED HDR_fm_shm.h OR NOT DEFINED HDR_fm_tree.h)
  message(FATAL_ERROR "check_seams: no sources under ${SRC}?")
endif()

# flowmgr header -> wing ("cls", "flow", ...; "main" for flowmgr/ itself)
function(wing_of_header hdr out)
  set(w "")
  if(hdr MATCHES "^flowmgr/([^/]+)/")
    set(w ${CMAKE_MATCH_1})
  elseif(hdr MATCHES "^flowmgr/[^/]+$")
    set(w main)
  endif()
  set(${out} "${w}" PARENT_SCOPE)
endfunction()

# ---- rules 1, 2 and the include graph -----------------------------------------------------------
set(nb_includes 0)
foreach(f ${FILES})
  file(STRINGS ${SRC}/${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  wings_of(${f} allowed)
  set(edges "")
  foreach(l ${lines})
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" inc "${l}")
    get_filename_component(name "${inc}" NAME)
    if(NOT DEFINED "HDR_${name}")
      continue() # generated (protobuf) or not ours
    endif()
    set(hdr ${HDR_${name}})
    math(EXPR nb_includes "${nb_includes} + 1")
    if(f MATCHES "\\.h$")
      list(APPEND edges ${hdr})
    endif()
    if(f MATCHES "^common/" AND NOT hdr MATCHES "^common/")
      seam_fail("${f} includes ${hdr}: common/ depends on nothing of ours")
    endif()
    wing_of_header(${hdr} wing)
    if(wing AND NOT allowed STREQUAL "*")
      list(FIND allowed ${wing} pos)
      if(pos LESS 0)
        seam_fail("${f} includes flowmgr header ${hdr}")
      endif()
    endif()
  endforeach()
  if(f MATCHES "\\.h$")
    set("EDGES_${f}" "${edges}")
  endif()
endforeach()
if(nb_includes LESS 100)
  message(FATAL_ERROR "check_seams: only ${nb_includes} project includes found: parser broken?")
endif()

# Rule 4: drop headers that include no remaining header until nothing changes; what is left
# includes itself through a circle, or includes a header that does.
set(left ${HEADERS})
set(changed TRUE)
while(changed)
  set(changed FALSE)
  set(next "")
  foreach(h ${left})
    set(keep FALSE)
    foreach(e ${EDGES_${h}})
      list(FIND left ${e} pos)
      if(pos GREATER_EQUAL 0)
        set(keep TRUE)
        break()
      endif()
    endforeach()
    if(keep)
      list(APPEND next ${h})
    else()
      set(changed TRUE)
    endif()
  endforeach()
  set(left ${next})
endwhile()
# Then drop those no remaining header includes: what is left lies on a circle.
set(changed TRUE)
while(changed)
  set(changed FALSE)
  set(reached "")
  foreach(h ${left})
    list(APPEND reached ${EDGES_${h}})
  endforeach()
  set(next "")
  foreach(h ${left})
    if(h IN_LIST reached)
      list(APPEND next ${h})
    else()
      set(changed TRUE)
    endif()
  endforeach()
  set(left ${next})
endwhile()
foreach(h ${left})
  seam_fail("include circle through ${h} (includes: ${EDGES_${h}})")
endforeach()

# ---- rule 3: the build ------------------------------------------------------------------------
set(FM_LIBS "")
file(GLOB_RECURSE fm_cmake ${SRC}/flowmgr/CMakeLists.txt)
foreach(c ${fm_cmake})
  file(STRINGS ${c} adds REGEX "add_(library|executable)\\(")
  foreach(a ${adds})
    string(REGEX REPLACE ".*add_(library|executable)\\([ \t]*([A-Za-z0-9_]+).*" "\\2" lib "${a}")
    list(APPEND FM_LIBS ${lib})
  endforeach()
endforeach()
if(NOT "fs_flow" IN_LIST FM_LIBS OR NOT "fs_cls" IN_LIST FM_LIBS)
  message(FATAL_ERROR "check_seams: flowmgr's libraries not found (${FM_LIBS})")
endif()

set(cc ${BIN}/compile_commands.json)
set(nb_cc 0)
if(EXISTS ${cc})
  file(STRINGS ${cc} cc_lines REGEX "^[ \t]*\"(command|file)\"")
  set(cmd "")
  foreach(l ${cc_lines})
    if(l MATCHES "^[ \t]*\"command\"")
      set(cmd "${l}")
      continue()
    endif()
    string(REGEX REPLACE "^[ \t]*\"file\":[ \t]*\"([^\"]+)\".*" "\\1" file "${l}")
    file(RELATIVE_PATH rel ${SRC} ${file})
    wings_of(${rel} allowed)
    if(rel MATCHES "^\\.\\./" OR allowed)
      continue()
    endif()
    math(EXPR nb_cc "${nb_cc} + 1")
    string(FIND "${cmd}" "${SRC}/flowmgr" pos)
    if(pos GREATER_EQUAL 0)
      seam_fail("${rel} is compiled with a flowmgr include path")
    endif()
  endforeach()
  if(nb_cc EQUAL 0)
    seam_fail("${cc} lists no file outside flowmgr/ and common/: parser broken?")
  endif()
endif()

# Link lines of the programs (CMakeFiles/<target>.dir/link.txt under their build folder).
file(GLOB_RECURSE links ${BIN}/*/link.txt)
set(nb_links 0)
foreach(lt ${links})
  file(RELATIVE_PATH rel ${BIN} ${lt})
  string(REGEX REPLACE "/?CMakeFiles/.*" "" dir "${rel}")
  wings_of("${dir}/x" allowed)
  if(allowed OR dir MATCHES "^(tests/unit|bench)/")
    continue() # tests and benches of a flowmgr wing are in ALLOW; the others are checked
  endif()
  math(EXPR nb_links "${nb_links} + 1")
  file(READ ${lt} line)
  foreach(lib ${FM_LIBS})
    if(line MATCHES "(^|[ /])lib${lib}\\.a([ ]|$)")
      seam_fail("${rel} links flowmgr library ${lib}")
    endif()
  endforeach()
endforeach()

if(PROPS)
  if(NOT EXISTS ${PROPS})
    message(FATAL_ERROR "check_seams: ${PROPS} missing (regenerate the build)")
  endif()
  if(nb_links EQUAL 0)
    seam_fail("no link line found under ${BIN} although nfsdk is built")
  endif()
  file(STRINGS ${PROPS} props)
  foreach(p ${props})
    foreach(lib ${FM_LIBS})
      if(p MATCHES "(^|[=;])${lib}(;|$)")
        seam_fail("nfsdk ${p}: links flowmgr library ${lib}")
      endif()
    endforeach()
    string(FIND "${p}" "${SRC}/flowmgr" pos)
    if(pos GREATER_EQUAL 0)
      seam_fail("nfsdk ${p}: a flowmgr include directory")
    endif()
  endforeach()
endif()

if(FAILS)
  message(FATAL_ERROR "seams broken:\n${FAILS}")
endif()
message(STATUS "seams: ${nb_includes} includes, ${nb_cc} compile commands, ${nb_links} link lines"
               " checked; nfsdk properties: ${PROPS}")
