<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko">
<context>
    <name>AddFilesDialog</name>
    <message>
        <source>Enter the exam ID, for example BIO-101.</source>
        <translation>시험 ID를 입력하세요 (예: BIO-101).</translation>
    </message>
    <message>
        <source>Use only letters, digits, &apos;.&apos;, &apos;_&apos; and &apos;-&apos;, starting with a letter or digit.</source>
        <translation>영문자, 숫자, &apos;.&apos;, &apos;_&apos;, &apos;-&apos;만 사용할 수 있으며 영문자나 숫자로 시작해야 합니다.</translation>
    </message>
    <message>
        <source>Add recordings</source>
        <translation>녹화 파일 추가</translation>
    </message>
    <message>
        <source>Exam ID</source>
        <translation>시험 ID</translation>
    </message>
    <message>
        <source>for example BIO-101</source>
        <translation>예: BIO-101</translation>
    </message>
    <message>
        <source>Recording kind</source>
        <translation>녹화 종류</translation>
    </message>
    <message>
        <source>Detect from file names</source>
        <translation>파일 이름으로 자동 판단</translation>
    </message>
    <message>
        <source>Add to queue</source>
        <translation>대기열에 추가</translation>
    </message>
    <message numerus="yes">
        <source>Also add %n file(s) that are not recordings</source>
        <translation>
            <numerusform>녹화 파일이 아닌 파일 %n개도 추가</numerusform>
        </translation>
    </message>
    <message>
        <source>Not recordings: {names}. Usually these are notes or exports.</source>
        <translation>녹화 파일이 아님: {names}. 보통 메모나 내보낸 문서입니다.</translation>
    </message>
    <message numerus="yes">
        <source>Add %n recording(s)</source>
        <translation>
            <numerusform>녹화 파일 %n개 추가</numerusform>
        </translation>
    </message>
    <message>
        <source>These files are not recordings</source>
        <translation>녹화 파일이 아닙니다</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s), {size} in total</source>
        <translation>
            <numerusform>파일 %n개, 총 {size}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>… and %n more</source>
        <translation>
            <numerusform>… 외 %n개</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>AddOutcome</name>
    <message>
        <source>Not added twice: {names}</source>
        <translation>중복 추가하지 않음: {names}</translation>
    </message>
</context>
<context>
    <name>AppController</name>
    <message>
        <source>Add recordings</source>
        <translation>녹화 파일 추가</translation>
    </message>
    <message>
        <source>Recordings ({patterns});;All files (*)</source>
        <translation>녹화 파일 ({patterns});;모든 파일 (*)</translation>
    </message>
    <message>
        <source>Add a folder of recordings</source>
        <translation>녹화 파일 폴더 추가</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>로그인 중…</translation>
    </message>
    <message>
        <source>Already uploading elsewhere</source>
        <translation>다른 곳에서 이미 업로드 중</translation>
    </message>
    <message>
        <source>Another Proctor Uploader (a command in a terminal, or another window) is uploading on this computer. Let it finish, then try again.</source>
        <translation>이 컴퓨터에서 다른 Proctor Uploader(터미널의 명령 또는 다른 창)가 업로드하고 있습니다. 끝날 때까지 기다린 다음 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>다시 시도</translation>
    </message>
    <message>
        <source>You are not signed in</source>
        <translation>로그인되어 있지 않습니다</translation>
    </message>
    <message>
        <source>Sign in to upload recordings. Files you add wait until then.</source>
        <translation>녹화 파일을 업로드하려면 로그인하세요. 추가한 파일은 그때까지 기다립니다.</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>로그인</translation>
    </message>
    <message>
        <source>The upload list was damaged and has been reset</source>
        <translation>업로드 목록이 손상되어 초기화했습니다</translation>
    </message>
    <message numerus="yes">
        <source>It was kept as {path} for your IT support. %n receipt(s) restored; add recordings that had not finished uploading again.</source>
        <translation>
            <numerusform>IT 지원 담당자를 위해 {path}(으)로 보관했습니다. 영수증 %n개를 복원했습니다. 업로드가 끝나지 않은 녹화 파일은 다시 추가하세요.</numerusform>
        </translation>
    </message>
    <message>
        <source>Sign in to continue uploading</source>
        <translation>업로드를 계속하려면 로그인하세요</translation>
    </message>
    <message>
        <source>Your sign-in has ended. Uploads are waiting, and nothing is lost: sign in again and they continue where they stopped.</source>
        <translation>로그인이 만료되었습니다. 업로드는 대기 중이며 잃어버린 것은 없습니다. 다시 로그인하면 멈춘 곳부터 이어집니다.</translation>
    </message>
    <message>
        <source>Sign out while uploading?</source>
        <translation>업로드 중에 로그아웃할까요?</translation>
    </message>
    <message>
        <source>Uploads wait until you sign in again, then continue where they stopped.</source>
        <translation>다시 로그인할 때까지 업로드가 대기하며, 로그인하면 멈춘 곳부터 이어집니다.</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>로그아웃</translation>
    </message>
    <message>
        <source>Stay signed in</source>
        <translation>로그인 유지</translation>
    </message>
    <message>
        <source>Looking for recordings…</source>
        <translation>녹화 파일을 찾는 중…</translation>
    </message>
    <message>
        <source>No files found</source>
        <translation>파일을 찾지 못했습니다</translation>
    </message>
    <message>
        <source>The folder you chose holds no files to upload.</source>
        <translation>선택한 폴더에 업로드할 파일이 없습니다.</translation>
    </message>
    <message>
        <source>Sign in to start uploading the files you added.</source>
        <translation>추가한 파일의 업로드를 시작하려면 로그인하세요.</translation>
    </message>
    <message>
        <source>New recordings found</source>
        <translation>새 녹화 파일을 찾았습니다</translation>
    </message>
    <message numerus="yes">
        <source>%n recording(s) from the watched folder were queued.</source>
        <translation>
            <numerusform>감시 폴더의 녹화 파일 %n개를 대기열에 추가했습니다.</numerusform>
        </translation>
    </message>
    <message>
        <source>{file} was not uploaded</source>
        <translation>{file} 파일을 업로드하지 못했습니다</translation>
    </message>
    <message numerus="yes">
        <source>All %n recording(s) uploaded</source>
        <translation>
            <numerusform>녹화 파일 %n개를 모두 업로드했습니다</numerusform>
        </translation>
    </message>
    <message>
        <source>Every file arrived and was checked against the original.</source>
        <translation>모든 파일이 도착했으며 원본과 일치하는지 확인했습니다.</translation>
    </message>
    <message numerus="yes">
        <source>%n recording(s) need attention</source>
        <translation>
            <numerusform>녹화 파일 %n개를 확인해야 합니다</numerusform>
        </translation>
    </message>
    <message>
        <source>{uploaded} uploaded. Check the files marked in red, then retry them.</source>
        <translation>{uploaded}개 업로드 완료. 빨간색으로 표시된 파일을 확인한 뒤 다시 시도하세요.</translation>
    </message>
    <message>
        <source>History exported</source>
        <translation>기록을 내보냈습니다</translation>
    </message>
    <message numerus="yes">
        <source>%n receipt(s) saved to {path}.</source>
        <translation>
            <numerusform>영수증 %n건을 {path}에 저장했습니다.</numerusform>
        </translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>내보내기 실패</translation>
    </message>
    <message>
        <source>Proctor Uploader is still running</source>
        <translation>Proctor Uploader가 계속 실행 중입니다</translation>
    </message>
    <message>
        <source>Uploads continue in the background. Use the tray icon to open the window or to quit.</source>
        <translation>업로드는 백그라운드에서 계속됩니다. 트레이 아이콘으로 창을 열거나 종료할 수 있습니다.</translation>
    </message>
    <message>
        <source>Quit while uploading?</source>
        <translation>업로드 중에 종료할까요?</translation>
    </message>
    <message>
        <source>Uploads stop now and continue where they stopped the next time you open Proctor Uploader. Nothing already sent is lost.</source>
        <translation>업로드가 지금 멈추고, 다음에 Proctor Uploader를 열면 멈춘 곳부터 이어집니다. 이미 보낸 부분은 그대로 남습니다.</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>종료</translation>
    </message>
    <message>
        <source>Keep uploading</source>
        <translation>계속 업로드</translation>
    </message>
</context>
<context>
    <name>CrashDialog</name>
    <message>
        <source>Proctor Uploader ran into a problem</source>
        <translation>Proctor Uploader에 문제가 발생했습니다</translation>
    </message>
    <message>
        <source>Something unexpected happened.</source>
        <translation>예기치 않은 문제가 발생했습니다.</translation>
    </message>
    <message>
        <source>Your uploads are safe: finished parts are kept, and unfinished files continue where they stopped. If this keeps happening, send the log file to your IT support.</source>
        <translation>업로드는 안전합니다. 완료된 부분은 보존되고, 끝나지 않은 파일은 멈춘 곳부터 이어집니다. 이 문제가 계속되면 로그 파일을 IT 지원팀에 보내 주세요.</translation>
    </message>
    <message>
        <source>Log file: {path}</source>
        <translation>로그 파일: {path}</translation>
    </message>
    <message>
        <source>Show details</source>
        <translation>자세히 보기</translation>
    </message>
    <message>
        <source>Copy details</source>
        <translation>자세한 내용 복사</translation>
    </message>
    <message>
        <source>Open log folder</source>
        <translation>로그 폴더 열기</translation>
    </message>
</context>
<context>
    <name>EmptyState</name>
    <message>
        <source>Drop recordings here</source>
        <translation>녹화 파일을 여기에 끌어다 놓으세요</translation>
    </message>
    <message>
        <source>Drag video files or whole folders from your computer onto this window. Each file climbs to 100% and is checked when it arrives.</source>
        <translation>컴퓨터의 동영상 파일이나 폴더를 이 창으로 끌어다 놓으세요. 각 파일이 100%까지 올라가고, 도착하면 확인됩니다.</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>파일 추가…</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>폴더 추가…</translation>
    </message>
</context>
<context>
    <name>HistoryModel</name>
    <message>
        <source>Uploaded</source>
        <extracomment>The receipt of a row.</extracomment>
        <translation>업로드 시각</translation>
    </message>
    <message>
        <source>File</source>
        <translation>파일</translation>
    </message>
    <message>
        <source>Exam</source>
        <translation>시험</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>종류</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>크기</translation>
    </message>
    <message>
        <source>Storage key</source>
        <translation>저장소 키</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>Receipt</source>
        <translation>영수증</translation>
    </message>
    <message>
        <source>Not signed</source>
        <translation>서명 없음</translation>
    </message>
    <message>
        <source>Signed</source>
        <translation>서명됨</translation>
    </message>
    <message>
        <source>Signed, verified</source>
        <translation>서명됨, 검증됨</translation>
    </message>
    <message>
        <source>Signed, NOT verified</source>
        <translation>서명됨, 검증 안 됨</translation>
    </message>
</context>
<context>
    <name>HistoryView</name>
    <message>
        <source>Search by file, exam, key or checksum</source>
        <translation>파일, 시험, 키 또는 체크섬으로 검색</translation>
    </message>
    <message>
        <source>Copy storage key</source>
        <translation>저장소 키 복사</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>CSV로 내보내기…</translation>
    </message>
    <message numerus="yes">
        <source>%n upload(s)</source>
        <translation>
            <numerusform>업로드 %n건</numerusform>
        </translation>
    </message>
    <message>
        <source>{shown} of {total}</source>
        <translation>{total}건 중 {shown}건</translation>
    </message>
    <message>
        <source>Export upload history</source>
        <translation>업로드 기록 내보내기</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 파일 (*.csv)</translation>
    </message>
</context>
<context>
    <name>LogView</name>
    <message>
        <source>not available</source>
        <translation>사용할 수 없음</translation>
    </message>
    <message>
        <source>Log file: {path}</source>
        <translation>로그 파일: {path}</translation>
    </message>
    <message>
        <source>Copy all</source>
        <translation>모두 복사</translation>
    </message>
    <message>
        <source>Open log folder</source>
        <translation>로그 폴더 열기</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Add files…</source>
        <translation>파일 추가…</translation>
    </message>
    <message>
        <source>Add recordings to upload (Ctrl+O)</source>
        <translation>업로드할 녹화 파일 추가 (Ctrl+O)</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>폴더 추가…</translation>
    </message>
    <message>
        <source>Add every recording in a folder and its subfolders</source>
        <translation>폴더와 하위 폴더의 모든 녹화 파일 추가</translation>
    </message>
    <message>
        <source>Pause all</source>
        <translation>모두 일시 중지</translation>
    </message>
    <message>
        <source>Resume all</source>
        <translation>모두 재개</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>로그아웃</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>로그인</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>종료</translation>
    </message>
    <message>
        <source>Uploads</source>
        <translation>업로드</translation>
    </message>
    <message>
        <source>History</source>
        <translation>기록</translation>
    </message>
    <message>
        <source>Logs</source>
        <translation>로그</translation>
    </message>
    <message>
        <source>Signed in as {account}</source>
        <translation>로그인: {account}</translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation>로그인되지 않음</translation>
    </message>
    <message>
        <source>Watching {folder}</source>
        <translation>{folder} 감시 중</translation>
    </message>
    <message>
        <source>New recordings in {folder} are uploaded automatically.</source>
        <translation>{folder}에 새로 생기는 녹화 파일은 자동으로 업로드됩니다.</translation>
    </message>
    <message>
        <source>Keeping the computer awake while uploading</source>
        <translation>업로드하는 동안 컴퓨터가 절전 모드로 전환되지 않도록 유지 중</translation>
    </message>
    <message numerus="yes">
        <source>Cancel %n upload(s)?</source>
        <translation>
            <numerusform>업로드 %n건을 취소할까요?</numerusform>
        </translation>
    </message>
    <message>
        <source>What was already sent is discarded on the server. To upload these files later, you will have to add them again.</source>
        <translation>이미 보낸 부분은 서버에서 삭제됩니다. 나중에 이 파일을 업로드하려면 다시 추가해야 합니다.</translation>
    </message>
    <message>
        <source>Cancel uploads</source>
        <translation>업로드 취소</translation>
    </message>
    <message>
        <source>Keep uploading</source>
        <translation>계속 업로드</translation>
    </message>
    <message>
        <source>Ready. Drop recordings on this window to upload them.</source>
        <translation>준비되었습니다. 녹화 파일을 이 창에 끌어다 놓으면 업로드됩니다.</translation>
    </message>
    <message>
        <source>Sign in to continue uploading</source>
        <translation>업로드를 계속하려면 로그인하세요</translation>
    </message>
    <message>
        <source>{done} of {total} files uploaded</source>
        <translation>파일 {total}개 중 {done}개 업로드됨</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{total} 중 {done}</translation>
    </message>
    <message>
        <source>{time} left</source>
        <translation>{time} 남음</translation>
    </message>
    <message>
        <source>Nothing left to upload</source>
        <translation>업로드할 파일이 없습니다</translation>
    </message>
</context>
<context>
    <name>Notice</name>
    <message>
        <source>Dismiss</source>
        <translation>닫기</translation>
    </message>
    <message>
        <source>Dismiss notice</source>
        <translation>알림 닫기</translation>
    </message>
</context>
<context>
    <name>Plurals</name>
    <message numerus="yes">
        <source>%n file(s) paused</source>
        <translation>
            <numerusform>파일 %n개 일시 중지됨</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) need attention</source>
        <translation>
            <numerusform>파일 %n개 확인 필요</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) already in the queue</source>
        <translation>
            <numerusform>%n개 파일이 이미 대기열에 있습니다</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) could not be added</source>
        <translation>
            <numerusform>%n개 파일을 추가하지 못했습니다</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n recording(s) uploaded and verified at {time}</source>
        <translation>
            <numerusform>녹화 파일 %n개를 {time}에 업로드하고 확인했습니다</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>about %n min</source>
        <comment>duration</comment>
        <translation>
            <numerusform>약 %n분</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>about %n h</source>
        <comment>duration</comment>
        <translation>
            <numerusform>약 %n시간</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>about %n days</source>
        <comment>duration</comment>
        <translation>
            <numerusform>약 %n일</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>QueueView</name>
    <message>
        <source>Pause</source>
        <translation>일시 중지</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>재개</translation>
    </message>
    <message>
        <source>Cancel upload</source>
        <translation>업로드 취소</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>다시 시도</translation>
    </message>
    <message>
        <source>Remove from list</source>
        <translation>목록에서 제거</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>폴더에서 보기</translation>
    </message>
    <message>
        <source>Copy storage key</source>
        <translation>저장소 키 복사</translation>
    </message>
    <message>
        <source>Remove all uploaded files from the list</source>
        <translation>업로드 완료된 파일을 모두 목록에서 제거</translation>
    </message>
</context>
<context>
    <name>ReceiptDetailsWidget</name>
    <message>
        <source>File</source>
        <translation>파일</translation>
    </message>
    <message>
        <source>Storage key</source>
        <translation>저장소 키</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>ETag</source>
        <translation>ETag</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>크기</translation>
    </message>
    <message>
        <source>Upload ID</source>
        <translation>업로드 ID</translation>
    </message>
    <message>
        <source>Signed receipt</source>
        <translation>서명된 영수증</translation>
    </message>
    <message>
        <source>{size} ({bytes} bytes)</source>
        <translation>{size} ({bytes}바이트)</translation>
    </message>
    <message>
        <source>None: the server did not sign this receipt.</source>
        <translation>없음: 서버가 이 영수증에 서명하지 않았습니다.</translation>
    </message>
    <message>
        <source>Signed; not checked yet.</source>
        <translation>서명됨. 아직 확인하지 않음.</translation>
    </message>
    <message>
        <source>Verified: {reason}</source>
        <translation>검증됨: {reason}</translation>
    </message>
    <message>
        <source>NOT verified: {reason}</source>
        <translation>검증 안 됨: {reason}</translation>
    </message>
</context>
<context>
    <name>ReceiptKeyCheck</name>
    <message>
        <source>The server&apos;s signing keys changed</source>
        <translation>서버의 서명 키가 바뀌었습니다</translation>
    </message>
    <message>
        <source>{server} no longer publishes the keys it signed receipts with when you first signed in. New receipts will show as not verified. Ask your exam office whether the keys were replaced.</source>
        <translation>{server}이(가) 처음 로그인했을 때 영수증 서명에 쓰던 키를 더 이상 공개하지 않습니다. 새 영수증은 검증되지 않은 것으로 표시됩니다. 키가 교체되었는지 시험 담당 부서에 확인하세요.</translation>
    </message>
    <message>
        <source>The server has a new signing key</source>
        <translation>서버에 새 서명 키가 있습니다</translation>
    </message>
    <message>
        <source>{server} signs receipts with a new key from now on; earlier receipts still verify.</source>
        <translation>{server}은(는) 이제부터 새 키로 영수증에 서명합니다. 이전 영수증도 계속 검증됩니다.</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <source>Uploads</source>
        <translation>업로드</translation>
    </message>
    <message>
        <source>Watch folder</source>
        <translation>감시 폴더</translation>
    </message>
    <message>
        <source>General</source>
        <translation>일반</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>연결</translation>
    </message>
    <message>
        <source>Speed and parallel uploads</source>
        <translation>속도 및 동시 업로드</translation>
    </message>
    <message>
        <source>Files at the same time</source>
        <translation>동시에 올릴 파일 수</translation>
    </message>
    <message>
        <source>Parts per file at the same time</source>
        <translation>파일당 동시에 보낼 조각 수</translation>
    </message>
    <message>
        <source>Part size</source>
        <translation>조각 크기</translation>
    </message>
    <message>
        <source>Automatic (recommended)</source>
        <translation>자동 (권장)</translation>
    </message>
    <message>
        <source>Bandwidth</source>
        <translation>대역폭</translation>
    </message>
    <message>
        <source>Limit upload speed to</source>
        <translation>업로드 속도 제한</translation>
    </message>
    <message>
        <source>Use a different limit during part of the day</source>
        <translation>하루 중 특정 시간대에는 다른 제한 사용</translation>
    </message>
    <message>
        <source>From</source>
        <translation>시간대</translation>
    </message>
    <message>
        <source>until</source>
        <translation>~</translation>
    </message>
    <message>
        <source>Limit then</source>
        <translation>이 시간대 제한</translation>
    </message>
    <message>
        <source>For example, stay gentle on the school&apos;s network during lessons and upload at full speed in the evening.</source>
        <translation>예를 들어 수업 시간에는 학교 네트워크에 부담을 덜 주고, 저녁에는 최대 속도로 업로드할 수 있습니다.</translation>
    </message>
    <message>
        <source>Upload new recordings from a folder automatically</source>
        <translation>폴더에 새로 생기는 녹화 파일을 자동으로 업로드</translation>
    </message>
    <message>
        <source>Watched folder</source>
        <translation>감시할 폴더</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>폴더</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>찾아보기…</translation>
    </message>
    <message>
        <source>Exam ID</source>
        <translation>시험 ID</translation>
    </message>
    <message>
        <source>for example BIO-101</source>
        <translation>예: BIO-101</translation>
    </message>
    <message>
        <source>Recording kind</source>
        <translation>녹화 종류</translation>
    </message>
    <message>
        <source>Recordings in progress</source>
        <translation>진행 중인 녹화</translation>
    </message>
    <message>
        <source>Send recordings while they are being recorded</source>
        <translation>녹화 중에도 녹화 파일 보내기</translation>
    </message>
    <message>
        <source>New recordings in the folder, and added files still being written, are sent as they grow, so only the end is left when the exam ends.</source>
        <translation>폴더의 새 녹화 파일과 아직 기록 중인 추가 파일은 커지는 대로 전송되므로, 시험이 끝나면 마지막 부분만 남습니다.</translation>
    </message>
    <message>
        <source>A recording has ended when unchanged for</source>
        <translation>녹화 종료로 보는 무변경 시간</translation>
    </message>
    <message>
        <source> s</source>
        <translation>초</translation>
    </message>
    <message>
        <source>Subfolders are included. A new recording is queued at once when recordings are sent while being recorded (below), otherwise once it has stopped growing; never twice, even after a restart. Webcam and screen files are recognised by their names.</source>
        <translation>하위 폴더도 포함됩니다. 녹화 중 전송을 켜면(아래) 새 녹화 파일은 바로 대기열에 추가되고, 끄면 크기가 더 이상 늘지 않을 때 추가됩니다. 다시 시작해도 두 번 추가되지 않습니다. 웹캠과 화면 녹화 파일은 이름으로 구분합니다.</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>시스템 기본값</translation>
    </message>
    <message>
        <source>Start minimised to the tray</source>
        <translation>시작할 때 트레이로 최소화</translation>
    </message>
    <message>
        <source>Keep the computer awake while uploading</source>
        <translation>업로드하는 동안 컴퓨터 절전 모드 방지</translation>
    </message>
    <message>
        <source>Show notifications</source>
        <translation>알림 표시</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>서버</translation>
    </message>
    <message>
        <source>Certificate authority (PEM file)</source>
        <translation>인증 기관 (PEM 파일)</translation>
    </message>
    <message>
        <source>Use the system&apos;s certificates</source>
        <translation>시스템 인증서 사용</translation>
    </message>
    <message>
        <source>Allow unencrypted http:// to other computers (not recommended)</source>
        <translation>다른 컴퓨터로 암호화되지 않은 http:// 연결 허용 (권장하지 않음)</translation>
    </message>
    <message>
        <source>Change these only when your IT department asks you to. The server address is changed by signing out and in again.</source>
        <translation>IT 부서에서 요청한 경우에만 변경하세요. 서버 주소는 로그아웃한 뒤 다시 로그인하여 변경합니다.</translation>
    </message>
    <message>
        <source>Choose the folder to watch</source>
        <translation>감시할 폴더 선택</translation>
    </message>
    <message>
        <source>Choose the certificate authority file</source>
        <translation>인증 기관 파일 선택</translation>
    </message>
    <message>
        <source>Certificates (*.pem *.crt *.cer);;All files (*)</source>
        <translation>인증서 (*.pem *.crt *.cer);;모든 파일 (*)</translation>
    </message>
    <message>
        <source>Choose the folder to watch.</source>
        <translation>감시할 폴더를 선택하세요.</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Sign in</source>
        <translation>로그인</translation>
    </message>
    <message>
        <source>Sign in to Proctor Uploader</source>
        <translation>Proctor Uploader 로그인</translation>
    </message>
    <message>
        <source>Use the account your organisation gave you for uploads.</source>
        <translation>기관에서 업로드용으로 받은 계정을 사용하세요.</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>서버 주소</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>사용자 이름</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>비밀번호</translation>
    </message>
    <message>
        <source>Keep me signed in on this computer</source>
        <translation>이 컴퓨터에서 로그인 상태 유지</translation>
    </message>
    <message>
        <source>Stores a sign-in token (never your password) in this computer&apos;s password store.</source>
        <translation>로그인 토큰을 이 컴퓨터의 암호 저장소에 보관합니다. 비밀번호는 저장하지 않습니다.</translation>
    </message>
    <message>
        <source>Show or hide the password</source>
        <translation>비밀번호 표시/숨기기</translation>
    </message>
    <message>
        <source>Sign in for this session only</source>
        <translation>이번 세션에만 로그인</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>로그인 중…</translation>
    </message>
    <message>
        <source>This computer has no password store (keyring), so your sign-in cannot be kept. You will be asked for your password each time the app starts.</source>
        <translation>이 컴퓨터에는 암호 저장소(키링)가 없어 로그인 상태를 유지할 수 없습니다. 앱을 시작할 때마다 암호를 입력해야 합니다.</translation>
    </message>
    <message>
        <source>Too many sign-in attempts</source>
        <translation>로그인 시도 횟수 초과</translation>
    </message>
    <message numerus="yes">
        <source>The server is refusing sign-ins for a while. Try again in about %n minute(s).</source>
        <translation>
            <numerusform>서버가 당분간 로그인을 거부하고 있습니다. 약 %n분 후에 다시 시도하세요.</numerusform>
        </translation>
    </message>
    <message>
        <source>The server is refusing sign-ins for a while. Wait a few minutes, then try again.</source>
        <translation>서버가 당분간 로그인을 거부하고 있습니다. 몇 분 기다린 후 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Wrong user name or password</source>
        <translation>사용자 이름 또는 비밀번호가 올바르지 않습니다</translation>
    </message>
    <message>
        <source>Check them and try again. Passwords are case-sensitive.</source>
        <translation>확인한 후 다시 시도하세요. 비밀번호는 대소문자를 구분합니다.</translation>
    </message>
</context>
<context>
    <name>TrayController</name>
    <message>
        <source>Show Proctor Uploader</source>
        <translation>Proctor Uploader 열기</translation>
    </message>
    <message>
        <source>Pause all</source>
        <translation>모두 일시 중지</translation>
    </message>
    <message>
        <source>Resume all</source>
        <translation>모두 재개</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>종료</translation>
    </message>
    <message>
        <source>{percent}% · {done} of {total} files uploaded</source>
        <translation>{percent}% · 파일 {total}개 중 {done}개 업로드됨</translation>
    </message>
    <message>
        <source>Nothing uploading</source>
        <translation>업로드 중인 파일 없음</translation>
    </message>
    <message>
        <source>Sign in to continue</source>
        <translation>계속하려면 로그인하세요</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) need attention</source>
        <translation>
            <numerusform>파일 %n개 확인 필요</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>UploadQueueModel</name>
    <message>
        <source>File</source>
        <extracomment>The job snapshot of a row, with its latest progress merged in. Progress of a row as a fraction from 0.0 to 1.0. The roles this model answers; the others (font, background, check state...) are left unset.</extracomment>
        <translation>파일</translation>
    </message>
    <message>
        <source>Exam</source>
        <translation>시험</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>종류</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>크기</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>진행률</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>속도</translation>
    </message>
    <message>
        <source>Time left</source>
        <translation>남은 시간</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>상태</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{total} 중 {done}</translation>
    </message>
    <message>
        <source>Storage key: {key}</source>
        <translation>저장소 키: {key}</translation>
    </message>
</context>
<context>
    <name>errors</name>
    <message>
        <source>Something went wrong</source>
        <translation>문제가 발생했습니다</translation>
    </message>
    <message>
        <source>An unexpected problem occurred. Please try again; if it keeps happening, send the log file.</source>
        <translation>예기치 않은 문제가 발생했습니다. 다시 시도해 보시고, 계속되면 로그 파일을 보내 주세요.</translation>
    </message>
    <message>
        <source>Sign-in needed</source>
        <translation>로그인 필요</translation>
    </message>
    <message>
        <source>Your sign-in has expired or was refused. Please sign in again.</source>
        <translation>로그인이 만료되었거나 거부되었습니다. 다시 로그인하세요.</translation>
    </message>
    <message>
        <source>Sign-in failed</source>
        <translation>로그인 실패</translation>
    </message>
    <message>
        <source>The user name or password is not correct. Check them and try again.</source>
        <translation>사용자 이름 또는 비밀번호가 올바르지 않습니다. 확인한 후 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Too many failed sign-in attempts; the server is refusing new ones for a while.</source>
        <translation>로그인에 너무 많이 실패하여 서버가 한동안 새 로그인 시도를 받지 않습니다.</translation>
    </message>
    <message>
        <source>Too many failed sign-in attempts; the server is refusing new ones for a while. Try again in about {minutes} minute(s).</source>
        <translation>로그인에 너무 많이 실패하여 서버가 한동안 새 로그인 시도를 받지 않습니다. 약 {minutes}분 후에 다시 시도하세요.</translation>
    </message>
    <message>
        <source>The server refused this account ({detail}). Ask your organisation&apos;s administrator.</source>
        <translation>서버가 이 계정을 거부했습니다(서버 메시지: {detail}). 기관 관리자에게 문의하세요.</translation>
    </message>
    <message>
        <source>Your sign-in has expired or was ended elsewhere. Please sign in again.</source>
        <translation>로그인이 만료되었거나 다른 곳에서 종료되었습니다. 다시 로그인하세요.</translation>
    </message>
    <message>
        <source>The server redirected the request. Use the final server address (usually the https:// one) in the sign-in settings.</source>
        <translation>서버가 요청을 다른 주소로 넘겼습니다. 로그인 설정에 최종 서버 주소(보통 https:// 주소)를 입력하세요.</translation>
    </message>
    <message>
        <source>The server redirected the request to {target}. Use the final server address (usually the https:// one) in the sign-in settings.</source>
        <translation>서버가 요청을 {target} 주소로 넘겼습니다. 로그인 설정에 최종 서버 주소(보통 https:// 주소)를 입력하세요.</translation>
    </message>
    <message>
        <source>This server does not offer the Proctor Uploader service at this address (404). Check the server address.</source>
        <translation>이 주소의 서버는 Proctor Uploader 서비스를 제공하지 않습니다(404). 서버 주소를 확인하세요.</translation>
    </message>
    <message>
        <source>The server or its storage is temporarily unavailable. It will be tried again.</source>
        <translation>서버나 저장소를 일시적으로 사용할 수 없습니다. 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>The server or its storage is temporarily unavailable ({detail}). It will be tried again.</source>
        <translation>서버나 저장소를 일시적으로 사용할 수 없습니다(서버 메시지: {detail}). 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>The server is busy. It will be tried again shortly.</source>
        <translation>서버가 혼잡합니다. 잠시 후 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>The server is busy ({detail}). It will be tried again shortly.</source>
        <translation>서버가 혼잡합니다(서버 메시지: {detail}). 잠시 후 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>The server ran into a problem. It will be tried again.</source>
        <translation>서버에 문제가 생겼습니다. 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>The server ran into a problem ({detail}). It will be tried again.</source>
        <translation>서버에 문제가 생겼습니다(서버 메시지: {detail}). 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>The server refused the request ({detail}).</source>
        <translation>서버가 요청을 거부했습니다(서버 메시지: {detail}).</translation>
    </message>
    <message>
        <source>The server refused the request (HTTP {status}).</source>
        <translation>서버가 요청을 거부했습니다(HTTP {status}).</translation>
    </message>
    <message>
        <source>The storage server refused a part ({answer}).</source>
        <translation>저장소 서버가 업로드의 일부를 거부했습니다({answer}).</translation>
    </message>
    <message>
        <source>Storage received different bytes than were read from the file; the part is sent again.</source>
        <translation>저장소가 받은 데이터가 파일에서 읽은 데이터와 달라서, 그 부분을 다시 보냅니다.</translation>
    </message>
    <message>
        <source>Storage acknowledged a part with a checksum that does not match the file; it is sent again.</source>
        <translation>저장소가 받았다고 알린 부분의 체크섬이 파일과 일치하지 않아, 그 부분을 다시 보냅니다.</translation>
    </message>
    <message>
        <source>The connection to the storage server failed ({name}); retrying.</source>
        <translation>저장소 서버와의 연결이 실패했습니다({name}). 다시 시도합니다.</translation>
    </message>
    <message>
        <source>Storage reports {stored_size} bytes with checksum {stored}, but the file has {size} bytes with checksum {proof}. The upload is not trusted; retry it.</source>
        <translation>저장소는 {stored_size}바이트(체크섬 {stored})라고 알렸지만, 파일은 {size}바이트(체크섬 {proof})입니다. 이 업로드는 신뢰할 수 없으니 다시 시도하세요.</translation>
    </message>
    <message>
        <source>the server at {server}</source>
        <translation>{server} 서버</translation>
    </message>
    <message>
        <source>the server</source>
        <translation>서버</translation>
    </message>
    <message>
        <source>The server at {server}</source>
        <translation>{server} 서버</translation>
    </message>
    <message>
        <source>The server</source>
        <translation>서버</translation>
    </message>
    <message>
        <source>The CA bundle file set in Settings cannot be read. Check the path, or clear it to use the system&apos;s certificates.</source>
        <translation>설정에 지정한 CA 번들 파일을 읽을 수 없습니다. 경로를 확인하거나, 시스템 인증서를 쓰려면 이 설정을 비우세요.</translation>
    </message>
    <message>
        <source>The proxy server refused or dropped the connection to {where}. Check the proxy settings (HTTPS_PROXY) or ask IT.</source>
        <translation>프록시 서버가 {where}로의 연결을 거부하거나 끊었습니다. 프록시 설정(HTTPS_PROXY)을 확인하거나 IT 부서에 문의하세요.</translation>
    </message>
    <message>
        <source>{Where} did not answer in time. Check the network connection; the upload continues when the server answers again.</source>
        <translation>{Where}가 제시간에 응답하지 않았습니다. 네트워크 연결을 확인하세요. 서버가 다시 응답하면 업로드가 이어집니다.</translation>
    </message>
    <message>
        <source>The address of {where} is not valid. Check the server address.</source>
        <translation>{where} 주소가 올바르지 않습니다. 서버 주소를 확인하세요.</translation>
    </message>
    <message>
        <source>The connection to {where} broke off ({name}). It will be tried again.</source>
        <translation>{where}와의 연결이 응답 도중에 끊겼습니다({name}). 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>Could not talk to {where}: {reason}.</source>
        <translation>{where}와 통신할 수 없습니다: {reason}.</translation>
    </message>
    <message>
        <source>The security certificate of {where} has expired. Ask the server&apos;s administrator to renew it.</source>
        <translation>{where}의 보안 인증서가 만료되었습니다. 서버 관리자에게 인증서 갱신을 요청하세요.</translation>
    </message>
    <message>
        <source>The security certificate of {where} is for a different name. Check the server address (use the exact name your organisation gave you).</source>
        <translation>{where}의 보안 인증서가 다른 이름으로 발급되었습니다. 서버 주소를 확인하세요(기관에서 알려 준 이름을 그대로 쓰세요).</translation>
    </message>
    <message>
        <source>The security certificate of {where} is not issued by an authority this computer trusts. If your organisation uses its own certificate authority, set its CA bundle in Settings.</source>
        <translation>{where}의 보안 인증서는 이 컴퓨터가 신뢰하는 인증 기관에서 발급하지 않았습니다. 기관에서 자체 인증 기관을 쓴다면 설정에서 그 CA 번들을 지정하세요.</translation>
    </message>
    <message>
        <source>{Where} does not speak https on this port. Check the address (http:// vs https:// and the port).</source>
        <translation>{Where}는 이 포트에서 https를 쓰지 않습니다. 주소(http://와 https://, 포트 번호)를 확인하세요.</translation>
    </message>
    <message>
        <source>A secure connection to {where} could not be established. Check the server address; if your organisation uses its own certificate authority, set its CA bundle in Settings.</source>
        <translation>{where}와 보안 연결을 맺을 수 없습니다. 서버 주소를 확인하세요. 기관에서 자체 인증 기관을 쓴다면 설정에서 그 CA 번들을 지정하세요.</translation>
    </message>
    <message>
        <source>The name of {where} could not be found. Check the server address and the network connection.</source>
        <translation>{where}의 이름을 찾을 수 없습니다. 서버 주소와 네트워크 연결을 확인하세요.</translation>
    </message>
    <message>
        <source>{Where} refused the connection: it may be down or the address or port may be wrong. Uploads continue when it is reachable.</source>
        <translation>{Where}가 연결을 거부했습니다. 서버가 꺼져 있거나 주소 또는 포트가 잘못되었을 수 있습니다. 연결할 수 있게 되면 업로드가 이어집니다.</translation>
    </message>
    <message>
        <source>The connection to {where} was interrupted. It will be tried again.</source>
        <translation>{where}와의 연결이 끊겼습니다. 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>{Where} could not be reached. Check the network connection; uploads continue when it is back.</source>
        <translation>{Where}에 연결할 수 없습니다. 네트워크 연결을 확인하세요. 연결이 복구되면 업로드가 이어집니다.</translation>
    </message>
    <message>
        <source>Account refused</source>
        <translation>계정이 거부됨</translation>
    </message>
    <message>
        <source>The server refused this account. Ask your organisation&apos;s administrator.</source>
        <translation>서버가 이 계정을 거부했습니다. 기관 관리자에게 문의하세요.</translation>
    </message>
    <message>
        <source>Too many sign-in attempts</source>
        <translation>로그인 시도 횟수 초과</translation>
    </message>
    <message>
        <source>Too many failed sign-in attempts. Please wait a few minutes, then try again.</source>
        <translation>로그인에 너무 많이 실패했습니다. 몇 분 기다린 후 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Cannot remember your sign-in</source>
        <translation>로그인 상태를 저장할 수 없음</translation>
    </message>
    <message>
        <source>No secure password store (keyring) is available on this computer, so your sign-in cannot be remembered. You can sign in for this session only.</source>
        <translation>이 컴퓨터에는 안전한 암호 저장소(키링)가 없어 로그인 상태를 저장할 수 없습니다. 이번 세션에만 로그인할 수 있습니다.</translation>
    </message>
    <message>
        <source>Password store locked</source>
        <translation>암호 저장소가 잠겨 있음</translation>
    </message>
    <message>
        <source>The computer&apos;s password store is locked or refused access. Unlock it, or sign in for this session only.</source>
        <translation>컴퓨터의 암호 저장소가 잠겨 있거나 접근이 거부되었습니다. 잠금을 해제하거나 이번 세션에만 로그인하세요.</translation>
    </message>
    <message>
        <source>Network problem</source>
        <translation>네트워크 문제</translation>
    </message>
    <message>
        <source>The server could not be reached. Check the network connection; uploads continue when it is back.</source>
        <translation>서버에 연결할 수 없습니다. 네트워크 연결을 확인하세요. 연결이 복구되면 업로드가 이어집니다.</translation>
    </message>
    <message>
        <source>Server not answering</source>
        <translation>서버 응답 없음</translation>
    </message>
    <message>
        <source>The server did not answer in time. Check the network connection; uploads continue when the server answers again.</source>
        <translation>서버가 제시간에 응답하지 않았습니다. 네트워크 연결을 확인하세요. 서버가 다시 응답하면 업로드가 이어집니다.</translation>
    </message>
    <message>
        <source>Server not found</source>
        <translation>서버를 찾을 수 없음</translation>
    </message>
    <message>
        <source>The server&apos;s name could not be found. Check the server address and the network connection.</source>
        <translation>서버 이름을 찾을 수 없습니다. 서버 주소와 네트워크 연결을 확인하세요.</translation>
    </message>
    <message>
        <source>Server not reachable</source>
        <translation>서버에 연결할 수 없음</translation>
    </message>
    <message>
        <source>The server refused the connection: it may be down, or the address or port may be wrong.</source>
        <translation>서버가 연결을 거부했습니다. 서버가 꺼져 있거나 주소 또는 포트가 잘못되었을 수 있습니다.</translation>
    </message>
    <message>
        <source>Connection dropped</source>
        <translation>연결이 끊김</translation>
    </message>
    <message>
        <source>The connection to the server was interrupted. It will be tried again.</source>
        <translation>서버와의 연결이 끊겼습니다. 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>Secure connection failed</source>
        <translation>보안 연결 실패</translation>
    </message>
    <message>
        <source>The server&apos;s security certificate could not be verified. Check the server address; if your organisation uses its own certificate authority, set its CA bundle in Settings.</source>
        <translation>서버의 보안 인증서를 확인할 수 없습니다. 서버 주소를 확인하세요. 기관에서 자체 인증 기관을 사용한다면 설정에서 CA 번들을 지정하세요.</translation>
    </message>
    <message>
        <source>Server error</source>
        <translation>서버 오류</translation>
    </message>
    <message>
        <source>The server could not handle the request. It will be tried again.</source>
        <translation>서버가 요청을 처리하지 못했습니다. 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>Request refused</source>
        <translation>요청이 거부됨</translation>
    </message>
    <message>
        <source>The server refused the request. If this keeps happening, send the log file.</source>
        <translation>서버가 요청을 거부했습니다. 계속 이런 일이 생기면 로그 파일을 보내 주세요.</translation>
    </message>
    <message>
        <source>Server address moved</source>
        <translation>서버 주소가 바뀜</translation>
    </message>
    <message>
        <source>The server redirected the request. Use the final server address (usually the https:// one).</source>
        <translation>서버가 요청을 다른 주소로 넘겼습니다. 최종 서버 주소(보통 https:// 주소)를 사용하세요.</translation>
    </message>
    <message>
        <source>Not a Proctor Uploader server</source>
        <translation>Proctor Uploader 서버가 아님</translation>
    </message>
    <message>
        <source>This server does not offer the Proctor Uploader service at this address. Check the server address.</source>
        <translation>이 주소에서는 Proctor Uploader 서비스를 제공하지 않습니다. 서버 주소를 확인하세요.</translation>
    </message>
    <message>
        <source>Unexpected server response</source>
        <translation>예상하지 못한 서버 응답</translation>
    </message>
    <message>
        <source>The server sent an answer this app does not understand. It will be tried again.</source>
        <translation>서버가 이 앱이 이해할 수 없는 응답을 보냈습니다. 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>Upload not found on the server</source>
        <translation>서버에 업로드 정보가 없음</translation>
    </message>
    <message>
        <source>The server no longer knows this upload. The file will be uploaded again from the start.</source>
        <translation>서버에 이 업로드 정보가 더 이상 없습니다. 파일을 처음부터 다시 업로드합니다.</translation>
    </message>
    <message>
        <source>Upload link expired</source>
        <translation>업로드 링크 만료</translation>
    </message>
    <message>
        <source>An upload link expired before it was used; a new one is requested automatically.</source>
        <translation>업로드 링크가 사용되기 전에 만료되었습니다. 새 링크를 자동으로 요청합니다.</translation>
    </message>
    <message>
        <source>Storage error</source>
        <translation>저장소 오류</translation>
    </message>
    <message>
        <source>The storage server refused a part of the upload. It will be tried again.</source>
        <translation>저장소 서버가 업로드의 일부를 거부했습니다. 자동으로 다시 시도합니다.</translation>
    </message>
    <message>
        <source>Integrity check failed</source>
        <translation>무결성 검사 실패</translation>
    </message>
    <message>
        <source>The stored copy does not match the file on this computer, so the upload was not accepted.</source>
        <translation>저장된 사본이 이 컴퓨터의 파일과 일치하지 않아 업로드가 인정되지 않았습니다.</translation>
    </message>
    <message>
        <source>Computer clock is wrong</source>
        <translation>컴퓨터 시계가 맞지 않음</translation>
    </message>
    <message>
        <source>This computer&apos;s date or time is wrong, so the storage server refused the upload. Set the clock automatically, then resume.</source>
        <translation>이 컴퓨터의 날짜나 시간이 맞지 않아 저장소 서버가 업로드를 거부했습니다. 시계를 자동으로 맞춘 후 재개하세요.</translation>
    </message>
    <message>
        <source>File changed</source>
        <translation>파일이 변경됨</translation>
    </message>
    <message>
        <source>The recording was changed, moved or deleted after it was queued, so it was not uploaded. Check the file, then add it again.</source>
        <translation>대기열에 추가된 후 녹화 파일이 변경, 이동 또는 삭제되어 업로드하지 않았습니다. 파일을 확인한 후 다시 추가하세요.</translation>
    </message>
    <message>
        <source>File missing</source>
        <translation>파일이 없음</translation>
    </message>
    <message>
        <source>The file no longer exists. It may have been moved or deleted.</source>
        <translation>파일이 더 이상 없습니다. 이동되었거나 삭제되었을 수 있습니다.</translation>
    </message>
    <message>
        <source>File unreadable</source>
        <translation>파일을 읽을 수 없음</translation>
    </message>
    <message>
        <source>The file cannot be read. Check that it is not open in another program.</source>
        <translation>파일을 읽을 수 없습니다. 다른 프로그램에서 열려 있지 않은지 확인하세요.</translation>
    </message>
    <message>
        <source>Not a file</source>
        <translation>일반 파일이 아님</translation>
    </message>
    <message>
        <source>This is not a regular file, so it cannot be uploaded.</source>
        <translation>일반 파일이 아니므로 업로드할 수 없습니다.</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>중단됨</translation>
    </message>
    <message>
        <source>The work on this file was stopped.</source>
        <translation>이 파일에 대한 작업이 중단되었습니다.</translation>
    </message>
    <message>
        <source>Cannot save upload progress</source>
        <translation>업로드 진행 상황을 저장할 수 없음</translation>
    </message>
    <message>
        <source>Upload progress cannot be saved on this computer (the disk may be full or read-only). Free some space, then resume.</source>
        <translation>이 컴퓨터에 업로드 진행 상황을 저장할 수 없습니다(디스크가 가득 찼거나 읽기 전용일 수 있습니다). 공간을 확보한 후 재개하세요.</translation>
    </message>
    <message>
        <source>Cannot create app folder</source>
        <translation>앱 폴더를 만들 수 없음</translation>
    </message>
    <message>
        <source>The app cannot create its folders on this computer. Check the disk space and permissions.</source>
        <translation>이 컴퓨터에 앱 폴더를 만들 수 없습니다. 디스크 공간과 권한을 확인하세요.</translation>
    </message>
    <message>
        <source>Cannot save settings</source>
        <translation>설정을 저장할 수 없음</translation>
    </message>
    <message>
        <source>The settings could not be saved. Check the disk space and permissions.</source>
        <translation>설정을 저장하지 못했습니다. 디스크 공간과 권한을 확인하세요.</translation>
    </message>
    <message>
        <source>Cannot write the log</source>
        <translation>로그를 기록할 수 없음</translation>
    </message>
    <message>
        <source>The log file cannot be written. The app keeps working without it.</source>
        <translation>로그 파일을 기록할 수 없습니다. 앱은 로그 없이 계속 동작합니다.</translation>
    </message>
    <message>
        <source>Invalid server address</source>
        <translation>잘못된 서버 주소</translation>
    </message>
    <message>
        <source>Enter the server address as given by your organisation, e.g. https://uploads.example.edu.</source>
        <translation>기관에서 안내한 서버 주소를 입력하세요 (예: https://uploads.example.edu).</translation>
    </message>
    <message>
        <source>Insecure server address</source>
        <translation>안전하지 않은 서버 주소</translation>
    </message>
    <message>
        <source>The server address must start with https:// so your password and recordings are protected. Plain http:// is only allowed for a server on this computer.</source>
        <translation>비밀번호와 녹화 파일을 보호하기 위해 서버 주소는 https://로 시작해야 합니다. http://는 이 컴퓨터에 있는 서버에만 허용됩니다.</translation>
    </message>
    <message>
        <source>Recording changed</source>
        <translation>녹화 파일이 변경됨</translation>
    </message>
    <message>
        <source>The recording changed while it was being sent (did the recorder pause and start again?). Retry it once the recording has ended.</source>
        <translation>녹화 파일을 보내는 동안 파일이 변경되었습니다(녹화 프로그램이 일시 중지했다가 다시 시작했나요?). 녹화가 끝난 뒤 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Recording gone</source>
        <translation>녹화 파일이 없어짐</translation>
    </message>
    <message>
        <source>The recording was moved or deleted while it was being sent. Check the file, then add it again.</source>
        <translation>녹화 파일을 보내는 동안 파일이 이동되었거나 삭제되었습니다. 파일을 확인한 다음 다시 추가하세요.</translation>
    </message>
    <message>
        <source>Recording replaced</source>
        <translation>녹화 파일이 바뀜</translation>
    </message>
    <message>
        <source>The recording was replaced by another file while it was being sent. Check the file, then retry it.</source>
        <translation>녹화 파일을 보내는 동안 다른 파일로 바뀌었습니다. 파일을 확인한 다음 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Recording shortened</source>
        <translation>녹화 파일이 짧아짐</translation>
    </message>
    <message>
        <source>The recording became shorter while it was being sent. Check the file, then retry it.</source>
        <translation>녹화 파일을 보내는 동안 파일이 짧아졌습니다. 파일을 확인한 다음 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Recording too large</source>
        <translation>녹화 파일이 너무 큼</translation>
    </message>
    <message>
        <source>The recording grew beyond what one upload can hold. Ask your IT department to raise the part size.</source>
        <translation>녹화 파일이 한 번의 업로드로 보낼 수 있는 크기를 넘었습니다. IT 부서에 조각 크기를 늘려 달라고 요청하세요.</translation>
    </message>
    <message>
        <source>Insecure storage address</source>
        <translation>안전하지 않은 저장소 주소</translation>
    </message>
    <message>
        <source>The server asked for the recording to be sent unencrypted (http://) to storage on another computer, so nothing was sent. Ask your IT department to serve storage over https://.</source>
        <translation>서버가 녹화 파일을 다른 컴퓨터의 저장소로 암호화 없이(http://) 보내도록 요청하여 아무것도 보내지 않았습니다. IT 부서에 저장소를 https://로 제공해 달라고 요청하세요.</translation>
    </message>
    <message>
        <source>Invalid setting</source>
        <translation>잘못된 설정</translation>
    </message>
    <message>
        <source>A setting has an invalid value.</source>
        <translation>설정 값이 올바르지 않습니다.</translation>
    </message>
    <message>
        <source>Already running</source>
        <translation>이미 실행 중</translation>
    </message>
    <message>
        <source>Another Proctor Uploader (the app or a command) is already uploading on this computer. Let it finish, or close it, then try again.</source>
        <translation>이 컴퓨터에서 다른 Proctor Uploader(앱 또는 명령)가 이미 업로드 중입니다. 끝날 때까지 기다리거나 닫은 후 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Restarted from the beginning</source>
        <translation>처음부터 다시 시작함</translation>
    </message>
    <message>
        <source>The server no longer had this upload, so the file is being sent again from the start.</source>
        <translation>서버에 이 업로드 정보가 더 이상 없어 파일을 처음부터 다시 보내고 있습니다.</translation>
    </message>
    <message>
        <source>Verification failed</source>
        <translation>검증 실패</translation>
    </message>
    <message>
        <source>The stored object does not match the file on this computer, so the upload is not trusted. Retry it.</source>
        <translation>저장된 객체가 이 컴퓨터의 파일과 일치하지 않아 업로드를 신뢰할 수 없습니다. 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Upload links refused</source>
        <translation>업로드 링크가 거부됨</translation>
    </message>
    <message>
        <source>Storage keeps refusing freshly signed upload links. Check the computer&apos;s clock and the server&apos;s storage settings.</source>
        <translation>저장소가 새로 발급된 업로드 링크를 계속 거부하고 있습니다. 컴퓨터 시계와 서버의 저장소 설정을 확인하세요.</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>내보내기 실패</translation>
    </message>
    <message>
        <source>The file could not be written. Check the folder and the disk space.</source>
        <translation>파일을 저장하지 못했습니다. 폴더와 디스크 공간을 확인하세요.</translation>
    </message>
    <message>
        <source>Trusted keys unreadable</source>
        <translation>신뢰하는 키를 읽을 수 없음</translation>
    </message>
    <message>
        <source>The server keys trusted for checking receipts cannot be read. Receipts are not checked until the file is restored or removed.</source>
        <translation>영수증 확인에 쓰는 신뢰하는 서버 키를 읽을 수 없습니다. 파일을 복원하거나 삭제할 때까지 영수증을 확인하지 않습니다.</translation>
    </message>
    <message>
        <source>Trusted keys not saved</source>
        <translation>신뢰하는 키를 저장하지 못함</translation>
    </message>
    <message>
        <source>The server keys trusted for checking receipts could not be saved. Check the disk space and permissions.</source>
        <translation>영수증 확인에 쓰는 신뢰하는 서버 키를 저장하지 못했습니다. 디스크 공간과 권한을 확인하세요.</translation>
    </message>
</context>
<context>
    <name>text</name>
    <message>
        <source>{size}/s</source>
        <translation>{size}/s</translation>
    </message>
    <message>
        <source>under a minute</source>
        <translation>1분 미만</translation>
    </message>
    <message>
        <source>about {hours} h {minutes} min</source>
        <translation>약 {hours}시간 {minutes}분</translation>
    </message>
    <message>
        <source>Webcam</source>
        <translation>웹캠</translation>
    </message>
    <message>
        <source>Screen</source>
        <translation>화면</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>기타</translation>
    </message>
    <message>
        <source>Waiting to start</source>
        <translation>대기 중</translation>
    </message>
    <message>
        <source>Uploading</source>
        <translation>업로드 중</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>일시 중지됨</translation>
    </message>
    <message>
        <source>Waiting for the network</source>
        <translation>네트워크 연결 대기 중</translation>
    </message>
    <message>
        <source>Sign-in needed</source>
        <translation>로그인 필요</translation>
    </message>
    <message>
        <source>Checking the upload</source>
        <translation>업로드 확인 중</translation>
    </message>
    <message>
        <source>Uploaded</source>
        <translation>업로드 완료</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>실패</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>취소됨</translation>
    </message>
    <message>
        <source>File changed</source>
        <translation>파일이 변경됨</translation>
    </message>
    <message>
        <source>Recording — {sent} sent</source>
        <translation>녹화 중 — {sent} 전송됨</translation>
    </message>
    <message>
        <source>Retrying</source>
        <translation>다시 시도 중</translation>
    </message>
</context>
<context>
    <name>verdicts</name>
    <message>
        <source>not signed by the server (completed before it signed receipts)</source>
        <translation>서버가 서명하지 않았습니다 (서버가 영수증에 서명하기 전에 완료됨)</translation>
    </message>
    <message>
        <source>the signed receipt is not a JWS ({detail})</source>
        <translation>서명된 영수증이 JWS 형식이 아닙니다 ({detail})</translation>
    </message>
    <message>
        <source>the signed receipt is not an EdDSA proctor receipt</source>
        <translation>서명된 영수증이 EdDSA 감독관 영수증이 아닙니다</translation>
    </message>
    <message>
        <source>signed by key {kid}, which is not among the trusted keys</source>
        <translation>키 {kid}(으)로 서명되었지만, 이 키는 신뢰하는 키가 아닙니다</translation>
    </message>
    <message>
        <source>the signature does not hold under key {kid}</source>
        <translation>키 {kid}(으)로 서명을 확인할 수 없습니다</translation>
    </message>
    <message>
        <source>the signed receipt is invalid ({detail})</source>
        <translation>서명된 영수증이 올바르지 않습니다 ({detail})</translation>
    </message>
    <message>
        <source>unknown receipt format {format}</source>
        <translation>알 수 없는 영수증 형식 {format}</translation>
    </message>
    <message>
        <source>{name} is {here} here but {signed} in the signed receipt</source>
        <translation>{name} 값이 여기서는 {here}이지만 서명된 영수증에서는 {signed}입니다</translation>
    </message>
    <message>
        <source>{path} has {size} bytes, the signed receipt {signed}</source>
        <translation>{path} 파일은 {size}바이트이지만, 서명된 영수증은 {signed}바이트입니다</translation>
    </message>
    <message>
        <source>{path} cannot be read ({detail})</source>
        <translation>{path} 파일을 읽을 수 없습니다 ({detail})</translation>
    </message>
    <message>
        <source>the signed receipt carries no SHA-256 to compare the file with</source>
        <translation>서명된 영수증에 파일과 비교할 SHA-256이 없습니다</translation>
    </message>
    <message>
        <source>{path} has SHA-256 {sha256}…, the signed receipt {signed}…</source>
        <translation>{path} 파일의 SHA-256은 {sha256}…이지만, 서명된 영수증은 {signed}…입니다</translation>
    </message>
    <message>
        <source>signature and claims hold (signed by {issuer}, key {kid})</source>
        <translation>서명과 내용이 일치합니다 (서명: {issuer}, 키 {kid})</translation>
    </message>
    <message>
        <source>signature, claims and file hold (signed by {issuer}, key {kid})</source>
        <translation>서명, 내용, 파일이 모두 일치합니다 (서명: {issuer}, 키 {kid})</translation>
    </message>
</context>
</TS>
